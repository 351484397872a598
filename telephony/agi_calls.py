"""Which call a FastAGI session serves, for every script that needs its call id (the
IVR's contact, the ACD's hand-off). Asks the channel itself only when AMI has not
told of the call yet; decides nothing about the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from telephony.agi import AgiSession
from telephony.errors import AgiHangup
from telephony.model import Call, CallId, ChannelId, PbxId, call_id

LINKEDID = "CHANNEL(linkedid)"
"""The id of the call a channel belongs to, as AMI's Linkedid names it."""


class ChannelCalls(Protocol):
    """Finds the call a channel belongs to (`telephony.calls.CallTracker`)."""

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionCall:
    call_id: CallId
    linkedid: str
    tracked: Call | None
    """The tracker's call, when AMI has told of it already."""


async def session_call(
    session: AgiSession, calls: ChannelCalls, pbx_id: PbxId
) -> SessionCall:
    """The call `session`'s channel belongs to on `pbx_id`: the tracker's, else the
    one the channel's own linkedid names. FastAGI and AMI are two sockets, so the
    tracker may not know the channel yet; the channel's Uniqueid is no call id
    then, as a Local channel's `;2` half (the inbound trace's IVR channel)
    belongs to the call of its `;1`. A channel that hangs up before it answers
    falls back to its Uniqueid (the script notices the hang-up next)."""
    request = session.request
    found = calls.call_of_channel(pbx_id, ChannelId(request.uniqueid))
    if found is not None:
        return SessionCall(
            call_id=found.call_id, linkedid=found.linkedid, tracked=found
        )
    try:
        linkedid = await session.get_variable(LINKEDID) or request.uniqueid
    except AgiHangup:
        linkedid = request.uniqueid
    return SessionCall(
        call_id=call_id(pbx_id, linkedid), linkedid=linkedid, tracked=None
    )
