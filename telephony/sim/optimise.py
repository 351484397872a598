"""Local channel optimisation as Asterisk 20 carries it out: once both halves of a
Local pair sit in two-party bridges, about 12 ms later the channel bridged with
`;1` moves into `;2`'s bridge in its place and the pair hangs up, while the call
goes on (agent-leg-bridges.ami.txt). Event names, fields and order as traced.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from telephony.sim.channels import Bridge, Channel, channel_fields

if TYPE_CHECKING:
    from telephony.sim.dialplan import Dialplan

DELAY_S = 0.012
"""Simulated seconds from the second bridge to the swap (trace: 5.654 to 5.666)."""
DIAL_DONE_VARIABLES = (
    ("ANSWEREDTIME", "0"),
    ("ANSWEREDTIME_MS", "14"),
    ("DIALEDTIME", "2"),
    ("DIALEDTIME_MS", "2020"),
    ("DIALSTATUS", "ANSWER"),
)
"""What Dial sets on `;2` as its bridge ends (values as traced)."""

_ids = itertools.count()


def optimisable(ch: Channel) -> tuple[Channel, Channel] | None:
    """The Local pair (`;1`, `;2`) of `ch` if both halves are in two-party
    bridges (the only case the simulator optimises)."""
    peer = ch.peer
    if peer is None or ch.dead or peer.dead:
        return None
    one, two = (ch, peer) if ch.name.endswith(";1") else (peer, ch)
    for half in (one, two):
        if half.bridge is None or len(half.bridge.channels) != 2:
            return None
    return one, two


def schedule(dp: Dialplan, ch: Channel) -> None:
    """Optimise `ch`'s pair shortly if it can be."""
    if optimisable(ch) is not None:
        dp.spawn(_later(dp, ch))


async def _later(dp: Dialplan, ch: Channel) -> None:
    await dp.sleep(DELAY_S)
    pair = optimisable(ch)
    if pair is not None:
        optimise(dp, *pair)


def optimise(dp: Dialplan, one: Channel, two: Channel) -> None:
    """Swap the channel bridged with `one` into `two`'s bridge; hang the pair up."""
    pbx = dp.pbx
    near, far = one.bridge, two.bridge
    assert near is not None
    assert far is not None
    source = _other(near, one)
    target = _other(far, two)
    swap_id = str(next(_ids))
    pbx.emit(
        [
            ("Event", "LocalOptimizationBegin"),
            ("Privilege", "call,all"),
            *channel_fields(one, "LocalOne"),
            *channel_fields(two, "LocalTwo"),
            *channel_fields(source, "Source"),
            ("DestUniqueId", two.uniqueid),
            ("Id", swap_id),
        ]
    )
    pbx.bridge_leave(source)
    pbx.varset(two, "BRIDGEPEER", "")
    pbx.caller_id(two, source.cid_num, source.cid_name)
    pbx.bridge_leave(two)
    pbx.bridge_enter(far, source, swap=two)
    target.linkedid = source.linkedid
    pbx.varset(target, "BRIDGEPEER", source.name)
    pbx.varset(source, "BRIDGEPEER", target.name)
    pbx.varset(one, "BRIDGEPEER", "")
    pbx.emit(
        [
            ("Event", "LocalOptimizationEnd"),
            ("Privilege", "call,all"),
            *channel_fields(one, "LocalOne"),
            *channel_fields(two, "LocalTwo"),
            # Asterisk says No here although the swap took place (as traced).
            ("Success", "No"),
            ("Id", swap_id),
        ]
    )
    _hang_up_pair(dp, one, two, near)
    # The far side's Local stand-in learns who it talks to now.
    beyond = target.peer
    if beyond is not None and not beyond.dead and beyond.bridge is None:
        pbx.caller_id(beyond, source.cid_num, source.cid_name)


def _hang_up_pair(dp: Dialplan, one: Channel, two: Channel, near: Bridge) -> None:
    """`two`'s Dial ends, `one`'s Bridge() ends; neither runs any further."""
    pbx = dp.pbx
    for name, value in DIAL_DONE_VARIABLES:
        pbx.varset(two, name, value)
    pbx.soft_hangup_request(two, 16)
    pbx.varset(one, "CHANLOCALSTATUS", "ANSWER")
    pbx.hangup_request(one, 16)
    pbx.hangup(two, 16)
    pbx.bridge_leave(one)
    pbx.bridge_destroy(near)
    pbx.varset(one, "BRIDGERESULT", "SUCCESS")
    pbx.hangup(one, 16)
    pbx.device_state(one.device, "NOT_INUSE")
    pbx.device_state(one.device, "NOT_INUSE")
    for ch in (one, two):
        dp.hang(dp.line(ch), "optimised", 16)
        dp.lines.pop(ch, None)


def _other(bridge: Bridge, ch: Channel) -> Channel:
    return next(c for c in bridge.channels if c is not ch)
