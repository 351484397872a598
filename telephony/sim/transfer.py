"""Attended transfer in the simulator, as Asterisk 20's basic bridge carries out the
`atxfer` feature that AMI `Atxfer` triggers: the transferer leaves the bridge for a
new one, its peer is held, a consultation channel dials the target; hanging the
transferer up merges target and peer, `CancelAtxfer` (or a failed target) undoes it.

The mechanics only: the AMI server checks the request and answers it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from telephony.sim.channels import Bridge, Channel, TransferParties
from telephony.sim.dialplan import Dialplan, Line

Phase = Literal["ringing", "talking", "orphaned", "done"]
"""`orphaned`: the transferer hung up while the target was still ringing; the
target is bridged with the held peer as soon as it answers."""

NO_ANSWER_S = 15.0
"""Asterisk's `atxfernoanswertimeout` default (features.conf)."""


class TransferRefused(Exception):
    """The request cannot start or stop a transfer; the text is the AMI message."""


@dataclass(eq=False)
class Transfer:
    transferer: Channel
    transferee: Channel
    transferee_bridge: Bridge
    target_bridge: Bridge
    target: Line | None = None
    phase: Phase = "ringing"
    answered: asyncio.Event = field(default_factory=asyncio.Event)


class Transfers:
    """The transfers in progress, by transferer channel."""

    def __init__(self, dp: Dialplan) -> None:
        self.dp = dp
        self.active: dict[Channel, Transfer] = {}

    def start(self, ch: Channel, *, context: str, exten: str) -> None:
        """Hold the peer, move `ch` to a new bridge and dial `exten@context`."""
        bridge = ch.bridge
        if ch in self.active:
            raise TransferRefused("Attended transfer already in progress")
        if bridge is None or len(bridge.channels) != 2:
            raise TransferRefused("Channel is not in a two-party bridge")
        peer = next(c for c in bridge.channels if c is not ch)
        pbx = self.dp.pbx
        pbx.varset(ch, "TRANSFER_CONTEXT", context)
        pbx.moh_start(peer)
        target_bridge = pbx.bridge_create()
        pbx.bridge_leave(ch)
        pbx.bridge_enter(target_bridge, ch)
        transfer = Transfer(ch, peer, bridge, target_bridge)
        self.active[ch] = transfer
        one, two = pbx.local_pair(
            exten, context, callerid=(ch.cid_num, ch.cid_name), linkedid=ch.linkedid
        )
        transfer.target = self.dp.line(one)
        self.dp.spawn(self._consult(transfer, self.dp.line(two)))

    def cancel(self, ch: Channel) -> None:
        """Hang the consultation channel up; the transferer returns to its peer."""
        transfer = self.active.get(ch)
        if transfer is None or transfer.target is None:
            raise TransferRefused("No attended transfer in progress")
        self.dp.hang(transfer.target, "ami", 0)

    def complete(self, ch: Channel) -> bool:
        """The transferer hangs up: bridge the target with the held peer (now, or
        once the target answers). False when `ch` is transferring nothing."""
        transfer = self.active.get(ch)
        if transfer is None:
            return False
        if transfer.transferee.dead:
            # Nobody to hand over: an ordinary hangup, which ends the consultation.
            self.active.pop(ch, None)
            transfer.phase = "done"
            return False
        self.dp.pbx.bridge_leave(ch)
        if transfer.phase == "talking":
            self._merge(transfer)
        else:
            transfer.phase = "orphaned"
        return True

    async def _consult(self, transfer: Transfer, two: Line) -> None:
        """Own the consultation channel's `;1` from its dial to its hangup."""
        dp = self.dp
        one = transfer.target
        assert one is not None
        if dp.steps(two) is None:
            dp.pbx.hangup(two.ch, 0)
            dp.pbx.hangup(one.ch, 0)
            dp.lines.pop(one.ch, None)
            dp.lines.pop(two.ch, None)
            self._revert(transfer)
            return
        dp.pbx.local_bridge_and_dial(one.ch, two.ch)
        dp.spawn(dp.run(two))
        if await self._ring(one, two) and self._answered(transfer, one):
            await dp.wait(one, None)
        else:
            if one.ch.state != "Up":
                status = "BUSY" if two.busy.is_set() else "NOANSWER"
                dp.pbx.dial_end(one.ch, status)
            dp.hang(one, "ami", 0)
        if transfer.phase != "done":
            self._revert(transfer)
        await dp.finish(one)

    async def _ring(self, one: Line, two: Line) -> bool:
        waits = [
            asyncio.ensure_future(e.wait())
            for e in (two.answered, two.busy, two.hung, one.hung)
        ]
        try:
            await asyncio.wait(
                waits,
                timeout=NO_ANSWER_S / self.dp.config.speed,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for w in waits:
                w.cancel()
        return two.answered.is_set() and not one.hung.is_set()

    def _answered(self, transfer: Transfer, one: Line) -> bool:
        """The target answered: talk with the transferer, or take the held peer
        if the transferer already hung up. False when nobody is left to talk to."""
        pbx = self.dp.pbx
        ch = one.ch
        pbx.device_state(ch.device, "INUSE")
        pbx.newstate(ch, "Up")
        pbx.dial_end(ch, "ANSWER")
        if transfer.transferee.dead or (
            transfer.phase == "ringing" and transfer.transferer.dead
        ):
            return False
        if transfer.phase == "orphaned":
            self._merge(transfer)
            return True
        transfer.phase = "talking"
        pbx.bridge_enter(transfer.target_bridge, ch)
        who = transfer.transferer
        pbx.connected_line(ch, who.cid_num, who.cid_name)
        return True

    def _merge(self, transfer: Transfer) -> None:
        """Move the target into the held peer's bridge and report the transfer."""
        pbx = self.dp.pbx
        one = transfer.target
        assert one is not None
        target, peer = one.ch, transfer.transferee
        if target.bridge is not None:
            pbx.bridge_leave(target)
        pbx.bridge_destroy(transfer.target_bridge)
        pbx.moh_stop(peer)
        pbx.bridge_enter(transfer.transferee_bridge, target)
        pbx.varset(peer, "BRIDGEPEER", target.name)
        pbx.varset(target, "BRIDGEPEER", peer.name)
        pbx.connected_line(peer, target.cid_num, target.cid_name)
        pbx.connected_line(target, peer.cid_num, peer.cid_name)
        pbx.attended_transfer(
            TransferParties(
                transferer=transfer.transferer,
                transferee=peer,
                target=target,
                transferee_bridge=transfer.transferee_bridge,
                target_bridge=transfer.target_bridge,
            )
        )
        transfer.phase = "done"
        self.active.pop(transfer.transferer, None)

    def _revert(self, transfer: Transfer) -> None:
        """The target is gone: the transferer goes back to the held peer (or, if
        the transferer is gone too, the peer is hung up: nobody is left for it)."""
        self.active.pop(transfer.transferer, None)
        orphaned = transfer.phase == "orphaned"
        transfer.phase = "done"
        pbx = self.dp.pbx
        ch, peer = transfer.transferer, transfer.transferee
        if ch.bridge is transfer.target_bridge:
            pbx.bridge_leave(ch)
        # A transferer that hung up some other way took its bridge down with it.
        torn_down = ch.dead and not orphaned
        if not torn_down and not transfer.target_bridge.channels:
            pbx.bridge_destroy(transfer.target_bridge)
        if peer.dead or peer.bridge is not transfer.transferee_bridge:
            return
        if ch.dead or orphaned:
            self.dp.hang(self.dp.line(peer), "bridge", 16)
            return
        pbx.moh_stop(peer)
        pbx.bridge_enter(transfer.transferee_bridge, ch)
