"""The FastAGI hand-off to the ACD: after the IVR script, a call that set `CC_QUEUE`
asks for that queue (`acd.ports.QueueRequests`). Reads channel variables only; the
routing is the service's."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

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
"""The customer's category (e.g. `vip`): the queue's `category_boost` applies."""
VIP_VAR = "CC_VIP"
"""Set to `1`/`yes`/`true` by a flow that only knows "VIP": category `vip`."""
VIP_CATEGORY = "vip"
PREFERRED_TIMEOUT_S = 1.0
"""How long the caller's hand-off waits for the appeal owner's look-up."""
_TRUE = frozenset({"1", "yes", "true", "y"})


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
        request = session.request
        pbx = pbx_id if pbx_of is None else await pbx_of(session)
        the_call = (await session_call(session, calls, pbx)).call_id
        wanted = await _request(session, the_call, QueueId(queue), pbx)
        owner = await _owner(preferred, request.callerid, the_call)
        if owner is not None:
            wanted = replace(wanted, preferred_agent=AgentId(owner))
        await requests.call_waits(
            WaitingCall(
                pbx_id=pbx,
                channel=request.channel,
                request=wanted,
                channel_id=ChannelId(request.uniqueid),
            )
        )

    return handle


async def _request(
    session: AgiSession, the_call: CallId, queue: QueueId, pbx_id: PbxId
) -> CallRequest:
    """The request the IVR's variables describe (bad ones are logged and dropped)."""
    skills = await session.get_variable(SKILLS_VAR) or ""
    priority = await session.get_variable(PRIORITY_VAR) or "0"
    language = await session.get_variable(LANGUAGE_VAR) or None
    category = await session.get_variable(CATEGORY_VAR) or None
    vip = (await session.get_variable(VIP_VAR) or "").strip().lower()
    if category is None and vip in _TRUE:
        category = VIP_CATEGORY
    try:
        return CallRequest(
            call_id=the_call,
            queue_id=queue,
            skills=parse_skills(skills),
            priority=int(priority) if priority.lstrip("-").isdigit() else 0,
            language=language,
            category=category,
            pbx_id=pbx_id,
        )
    except ValueError as error:
        log.warning("call=%s bad queue request %r: %s", the_call, skills, error)
        return CallRequest(
            call_id=the_call, queue_id=queue, category=category, pbx_id=pbx_id
        )


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
