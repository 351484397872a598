"""GET /api/v1/calls: the live calls the telephony bridge tracks, as JSON."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel

from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.auth.model import Permission
from telephony.model import Call


class LegOut(BaseModel):
    channel: str
    state: str
    caller_num: str
    context: str
    exten: str
    created_at: datetime
    answered_at: datetime | None


class CallOut(BaseModel):
    call_id: str
    pbx_id: str
    direction: str
    ani: str
    ani_name: str
    dnis: str
    arrived_at: datetime
    answered_at: datetime | None
    bridged_at: datetime | None
    legs: list[LegOut]


class CallsOut(BaseModel):
    count: int
    calls: list[CallOut]


def call_out(call: Call) -> CallOut:
    return CallOut(
        call_id=call.call_id,
        pbx_id=call.pbx_id,
        direction=call.direction.value,
        ani=call.ani,
        ani_name=call.ani_name,
        dnis=call.dnis,
        arrived_at=call.arrived_at,
        answered_at=call.answered_at,
        bridged_at=call.bridged_at,
        legs=[
            LegOut(
                channel=leg.channel,
                state=leg.state,
                caller_num=leg.caller_num,
                context=leg.context,
                exten=leg.exten,
                created_at=leg.created_at,
                answered_at=leg.answered_at,
            )
            for leg in call.legs
            if leg.ended_at is None
        ],
    )


def calls_routes(
    live_calls: Callable[[], Sequence[Call]], *, public: bool = False
) -> ApiRoutes:
    """The live-calls endpoint over `live_calls`; `public` opens it without sign-in
    (the demo on loopback only)."""
    routes = ApiRoutes("calls")

    @routes.get(
        "/calls",
        permission=Permission.CALL_READ,
        public=public,
        response=CallsOut,
        summary="Live calls on every PBX, oldest first",
    )
    async def list_calls(call: ApiCall) -> CallsOut:
        calls = sorted(live_calls(), key=lambda c: c.arrived_at)
        return CallsOut(count=len(calls), calls=[call_out(c) for c in calls])

    return routes
