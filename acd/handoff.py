"""The FastAGI hand-off to the ACD: after the IVR script, a call that set `CC_QUEUE`
asks for that queue (`acd.ports.QueueRequests`); a caller in the waiting room the
ACD does not hold (sent there by `cc-fallback`) checks in the same way before its
announcement. Reads channel variables only; the routing is the service's."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from acd.model import AgentId, CallRequest, QueueId, parse_skill
from acd.ports import CallLocator, PreferredAgents, QueueRequests, WaitingCall
from telephony import dialplan
from telephony.agi import AgiSession
from telephony.agi_calls import session_call
from telephony.model import CallId, ChannelId, PbxId
from telephony.pbx_of import PbxResolver

log = logging.getLogger(__name__)

QUEUE_VAR = dialplan.QUEUE_VARIABLE
SKILLS_VAR = dialplan.SKILLS_VARIABLE
PRIORITY_VAR = dialplan.PRIORITY_VARIABLE
LANGUAGE_VAR = dialplan.LANGUAGE_VARIABLE
CATEGORY_VAR = dialplan.CATEGORY_VARIABLE
QUEUED_AT_VAR = dialplan.QUEUED_AT_VARIABLE
PREFERRED_AGENT_VAR = dialplan.PREFERRED_AGENT_VARIABLE
"""The customer's category (e.g. `vip`): the queue's `category_boost` applies."""
VIP_VAR = "CC_VIP"
"""Set to `1`/`yes`/`true` by a flow that only knows "VIP": category `vip`."""
VIP_CATEGORY = "vip"
REQUEST_VARIABLES = (
    SKILLS_VAR,
    PRIORITY_VAR,
    LANGUAGE_VAR,
    CATEGORY_VAR,
    VIP_VAR,
    QUEUED_AT_VAR,
    PREFERRED_AGENT_VAR,
)
"""The channel variables `read_request` reads."""
PREFERRED_TIMEOUT_S = 1.0
"""How long the caller's hand-off waits for the appeal owner's look-up."""
_TRUE = frozenset({"1", "yes", "true", "y"})

Variables = Callable[[str], Awaitable[str | None]]
"""Reads one of a channel's variables (None: unset): over FastAGI or AMI."""


class QueuedCalls(Protocol):
    """Whether the ACD has a call (`acd.service.AcdService.has_call`)."""

    def has_call(self, call_id: CallId) -> bool: ...


def parse_skills(text: str) -> dict[str, int]:
    """`billing:3,russian:5` -> {"billing": 3, "russian": 5}; blanks are skipped."""
    return dict(parse_skill(part) for part in text.split(",") if part.strip())


def queue_on_hand_off(
    handler: Callable[[AgiSession], Awaitable[None]],
    requests: QueueRequests,
    *,
    pbx_id: PbxId,
    calls: CallLocator,
    preferred: PreferredAgents | None = None,
    pbx_of: PbxResolver | None = None,
) -> Callable[[AgiSession], Awaitable[None]]:
    """A FastAGI handler that runs `handler`, then, if it set `CC_QUEUE`, hands the
    call to the ACD (the channel goes on to the waiting context as the script ends).
    `CC_SKILLS`, `CC_PRIORITY`, `CC_LANGUAGE` and `CC_CATEGORY` (or `CC_VIP`)
    refine the request; `preferred` names the agent who owns the caller's appeal.
    The call is on the PBX `pbx_of` finds for the session (with several PBXs),
    else on `pbx_id`; the ACD offers it only to agents whose phones are there."""

    async def handle(session: AgiSession) -> None:
        await handler(session)
        queue = await session.get_variable(QUEUE_VAR)
        if not queue:
            return
        pbx = pbx_id if pbx_of is None else await pbx_of(session)
        the_call = (await session_call(session, calls, pbx)).call_id
        waiting = await _waiting(session, the_call, QueueId(queue), pbx)
        owner = await _owner(preferred, session.request.callerid, the_call)
        if owner is not None:
            wanted = replace(waiting.request, preferred_agent=AgentId(owner))
            waiting = replace(waiting, request=wanted)
        await requests.call_waits(waiting)

    return handle


def check_in_on_announce(
    handler: Callable[[AgiSession], Awaitable[None]],
    requests: QueueRequests,
    queued: QueuedCalls,
    *,
    pbx_id: PbxId,
    calls: CallLocator,
    pbx_of: PbxResolver | None = None,
) -> Callable[[AgiSession], Awaitable[None]]:
    """A FastAGI handler for the waiting room's `announce` that first hands a caller
    the ACD does not hold to it, as `queue_on_hand_off` does (a caller `cc-fallback`
    sent to wait: its FastAGI script failed or was cut off), then runs `handler`."""

    async def handle(session: AgiSession) -> None:
        pbx = pbx_id if pbx_of is None else await pbx_of(session)
        found = calls.call_of_channel(pbx, ChannelId(session.request.uniqueid))
        # A channel the tracker does not know yet (the service is just starting)
        # waits for the restart's own look at the PBX, or the next announcement.
        if found is not None and not queued.has_call(found.call_id):
            queue = await session.get_variable(QUEUE_VAR)
            if queue:
                log.info("call=%s checks in from the waiting room", found.call_id)
                await requests.call_waits(
                    await _waiting(session, found.call_id, QueueId(queue), pbx)
                )
        await handler(session)

    return handle


async def _waiting(
    session: AgiSession, the_call: CallId, queue: QueueId, pbx_id: PbxId
) -> WaitingCall:
    request = session.request
    return WaitingCall(
        pbx_id=pbx_id,
        channel=request.channel,
        request=await read_request(session.get_variable, the_call, queue, pbx_id),
        channel_id=ChannelId(request.uniqueid),
    )


async def read_request(
    get: Variables, the_call: CallId, queue: QueueId, pbx_id: PbxId
) -> CallRequest:
    """The request a waiting caller's channel variables describe: what the IVR left
    and, once the ACD queued the call, when and for whom (bad values are logged
    and dropped)."""
    skills = await get(SKILLS_VAR) or ""
    priority = await get(PRIORITY_VAR) or "0"
    language = await get(LANGUAGE_VAR) or None
    category = await get(CATEGORY_VAR) or None
    vip = (await get(VIP_VAR) or "").strip().lower()
    arrived_at = _moment(await get(QUEUED_AT_VAR))
    preferred = await get(PREFERRED_AGENT_VAR) or None
    if category is None and vip in _TRUE:
        category = VIP_CATEGORY
    wanted = CallRequest(
        call_id=the_call,
        queue_id=queue,
        priority=int(priority) if priority.lstrip("-").isdigit() else 0,
        language=language,
        category=category,
        pbx_id=pbx_id,
        arrived_at=arrived_at,
        preferred_agent=None if preferred is None else AgentId(preferred),
    )
    try:
        return replace(wanted, skills=parse_skills(skills))
    except ValueError as error:
        log.warning("call=%s bad queue request %r: %s", the_call, skills, error)
        return wanted


def _moment(epoch_text: str | None) -> datetime | None:
    """`CC_QUEUED_AT` (epoch seconds) as a time; None when unset or unreadable."""
    try:
        return (
            None if not epoch_text else datetime.fromtimestamp(float(epoch_text), UTC)
        )
    except (ValueError, OverflowError, OSError):
        return None


async def _owner(
    preferred: PreferredAgents | None, ani: str, the_call: CallId
) -> str | None:
    if preferred is None or not ani:
        return None
    try:
        async with asyncio.timeout(PREFERRED_TIMEOUT_S):
            return await preferred.preferred_agent(ani)
    except Exception:  # the caller is queued anyway, for any agent
        log.exception("call=%s appeal owner look-up failed", the_call)
        return None
