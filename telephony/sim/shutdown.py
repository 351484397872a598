"""A restart that Asterisk announces (restart-with-shutdown.ami.txt): every channel
is soft-hung-up with the shutdown cause, every bridge dissolves, every channel
hangs up, then `Shutdown`. The other kind, a socket that just closes
(restart.ami.txt), is the simulator's silent restart.

Events only, in the traced order for each channel; the simulator then forgets
the channels and closes the AMI connections.
"""

from __future__ import annotations

from telephony.sim.channels import Channel, Event, Pbx

SHUTDOWN_CAUSE = 4
"""AST_SOFTHANGUP_SHUTDOWN, the Cause of each channel's first SoftHangupRequest."""


def hang_up_everything(pbx: Pbx) -> None:
    """Hang every channel up as Asterisk does when it shuts down. The half of a
    Local pair that runs applications goes first (cause 0); its other half
    follows, through its bridge if it is in one (cause 16)."""
    channels = list(pbx.channels.values())
    for ch in channels:
        pbx.soft_hangup_request(ch, SHUTDOWN_CAUSE)
    for ch in channels:
        if ch.bridge is not None:
            pbx.varset(ch, "BRIDGEPEER", "")
    firsts = [ch for ch in channels if _goes_first(ch)]
    for ch in firsts:
        _hang_up_first(pbx, ch)
    for ch in channels:
        if not ch.dead:
            _hang_up_after(pbx, ch)
    for device in dict.fromkeys(ch.device for ch in channels if ch.device):
        pbx.device_state(device, "NOT_INUSE")


def shutdown_event(*, restart: bool) -> Event:
    return [
        ("Event", "Shutdown"),
        ("Privilege", "system,all"),
        ("Shutdown", "Cleanly"),
        ("Restart", "True" if restart else "False"),
    ]


def _goes_first(ch: Channel) -> bool:
    """Not bridged, and either alone, or beside a bridged half, or the `;1` of
    two halves that both run applications."""
    peer = ch.peer
    if ch.bridge is not None:
        return False
    return peer is None or peer.bridge is not None or ch.name.endswith(";1")


def _hang_up_first(pbx: Pbx, ch: Channel) -> None:
    pbx.moh_stop(ch)
    pbx.soft_hangup_request(ch, 16)
    peer = ch.peer
    if peer is not None and not peer.dead:
        pbx.hangup_request(peer, 0)
    pbx.hangup(ch, 0)
    if peer is not None and peer.bridge is not None and ch.name.endswith(";1"):
        # The late caller-ID update of the bridged half (as at any hang-up).
        pbx.caller_id(ch, peer.con_num, peer.con_name)


def _hang_up_after(pbx: Pbx, ch: Channel) -> None:
    bridge = ch.bridge
    if bridge is None:
        pbx.moh_stop(ch)
        pbx.soft_hangup_request(ch, 16)
        pbx.hangup(ch, 0)
        return
    pbx.bridge_leave(ch)
    pbx.hangup(ch, 16)
    if not bridge.channels:
        pbx.bridge_destroy(bridge)
