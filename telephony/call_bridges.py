"""Who a call's caller is bridged with, seen through Local channels. Pure: no I/O,
no clock, no logging; reads the tracker's LiveCall and changes nothing.

A Local channel is a pair of halves (`Local/1001@cc-agent-00000001;1` and `;2`):
audio entering one leaves by the other. A half whose other half is bridged too,
or dials, only passes audio through: once both sides are bridged Asterisk
optimises the pair away and moves the far channel into the near bridge
(agent-leg-bridges.ami.txt). Any other channel in a bridge is a party: a phone,
a trunk channel, or a Local half whose other half runs dialplan applications
(the traces' stand-in phones and callers).
"""

from __future__ import annotations

from telephony.call_state import LiveCall
from telephony.model import ChannelId, Leg


def other_half(live: LiveCall, channel_id: ChannelId) -> Leg | None:
    """The other half of a Local channel, hung up or not; None for any other
    channel, or a half whose other half the call does not hold."""
    name = live.legs[channel_id].channel
    if not name.startswith("Local/") or name[-2:] not in (";1", ";2"):
        return None
    other = live.by_name.get(name[:-1] + ("2" if name[-1] == "1" else "1"))
    return None if other is None else live.legs[other]


def passes_through(live: LiveCall, channel_id: ChannelId) -> bool:
    """Whether the channel only carries audio on to its other half's side (or
    is about to go, its other half having hung up)."""
    other = other_half(live, channel_id)
    return other is not None and (
        other.ended_at is not None
        or other.channel_id in live.bridge_of
        or other.channel_id in live.diallers
    )


def parties(live: LiveCall, channel_id: ChannelId) -> list[ChannelId]:
    """The parties the channel's bridge joins it with, followed across Local pairs
    that pass audio through, in the order they entered. A pair still dialling or
    whose other half hung up leads nowhere yet."""
    bridge = live.bridge_of.get(channel_id)
    if bridge is None:
        return []
    found: list[ChannelId] = []
    seen = {bridge}
    todo = [(bridge, channel_id)]
    while todo:
        bridge, came_in = todo.pop()
        for member in live.bridges[bridge]:
            if member == came_in:
                continue
            if not passes_through(live, member):
                found.append(member)
                continue
            other = other_half(live, member)
            assert other is not None  # it passes through
            beyond = live.bridge_of.get(other.channel_id)
            if beyond is not None and beyond not in seen:
                seen.add(beyond)
                todo.append((beyond, other.channel_id))
    return found


def caller_of(live: LiveCall) -> ChannelId | None:
    """The caller's real channel, from the call's anchor; None until it can be
    told. The anchor itself when it is a party. Otherwise, for the channel an
    agent leg was originated into (the agent comes into its bridge), the party
    across its other half (a dialler's leg, whose `;2` dialled the customer).
    For a first channel that dialled out itself (a callback's agent leg, whose
    `;1` dials the customer while its `;2` rings the agent), the party across its
    own bridge; for one running applications behind its bridged other half (the
    traces' stand-in caller, whose `;2` runs the inbound dialplan), that half."""
    anchor = live.anchor or live.first
    if not passes_through(live, anchor):
        return anchor
    other = other_half(live, anchor)
    assert other is not None  # it passes through
    if other.ended_at is not None:
        return None
    if live.anchor_is_target:
        return _first(parties(live, other.channel_id))
    if anchor in live.bridge_of:
        return _first(parties(live, anchor))
    if other.channel_id in live.diallers or passes_through(live, other.channel_id):
        return None  # the other half rings someone: the caller is yet to come
    return other.channel_id


def _first(found: list[ChannelId]) -> ChannelId | None:
    return found[0] if found else None
