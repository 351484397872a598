"""The FastAGI hand-off to the ACD: after the IVR script, a call that set `CC_QUEUE`
asks for that queue (`acd.ports.QueueRequests`). Reads channel variables only; the
routing is the service's."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from acd.model import CallRequest, QueueId, parse_skill
from acd.ports import CallLocator, QueueRequests, WaitingCall
from telephony.agi import AgiSession
from telephony.model import ChannelId, PbxId, call_id

log = logging.getLogger(__name__)

QUEUE_VAR = "CC_QUEUE"
SKILLS_VAR = "CC_SKILLS"
"""Comma-separated `name:level` minimums, e.g. `billing:3,russian:5`."""
PRIORITY_VAR = "CC_PRIORITY"
LANGUAGE_VAR = "CC_LANGUAGE"


def parse_skills(text: str) -> dict[str, int]:
    """`billing:3,russian:5` -> {"billing": 3, "russian": 5}; blanks are skipped."""
    return dict(parse_skill(part) for part in text.split(",") if part.strip())


def queue_on_hand_off(
    handler: Callable[[AgiSession], Awaitable[None]],
    requests: QueueRequests,
    *,
    pbx_id: PbxId,
    calls: CallLocator,
) -> Callable[[AgiSession], Awaitable[None]]:
    """A FastAGI handler that runs `handler`, then, if it set `CC_QUEUE`, hands the
    call to the ACD (the channel goes on to the waiting context as the script ends).
    `CC_SKILLS`, `CC_PRIORITY` and `CC_LANGUAGE` refine the request."""

    async def handle(session: AgiSession) -> None:
        await handler(session)
        queue = await session.get_variable(QUEUE_VAR)
        if not queue:
            return
        skills = await session.get_variable(SKILLS_VAR) or ""
        priority = await session.get_variable(PRIORITY_VAR) or "0"
        language = await session.get_variable(LANGUAGE_VAR) or None
        request = session.request
        found = calls.call_of_channel(pbx_id, ChannelId(request.uniqueid))
        the_call = found.call_id if found else call_id(pbx_id, request.uniqueid)
        try:
            wanted = CallRequest(
                call_id=the_call,
                queue_id=QueueId(queue),
                skills=parse_skills(skills),
                priority=int(priority) if priority.lstrip("-").isdigit() else 0,
                language=language,
            )
        except ValueError as error:
            log.warning("call=%s bad queue request %r: %s", the_call, skills, error)
            wanted = CallRequest(call_id=the_call, queue_id=QueueId(queue))
        await requests.call_waits(
            WaitingCall(
                pbx_id=pbx_id,
                channel=request.channel,
                request=wanted,
                channel_id=ChannelId(request.uniqueid),
            )
        )

    return handle
