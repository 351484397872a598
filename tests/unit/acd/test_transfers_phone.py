"""Transfers and the agent's hang-up act on the agent's phone, which the call
tracker names from the first bridge on; never on the Local agent leg, which
Asterisk optimises away about 12 ms after the phone answers while the caller's
BRIDGEPEER still names it (agent-leg-bridges.ami.txt)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.model import AgentId, AgentState, TargetKind, TransferMode
from acd.transfers import TransferTarget
from telephony.calls import CallTracker
from telephony.channel_events import (
    BridgeEntered,
    BridgeLeft,
    ChannelCreated,
    ChannelStateChanged,
    DialStarted,
    LegExpected,
    TrackerInput,
)
from telephony.model import ChannelId
from tests.unit.acd.test_service import PBX, Rig, rig_settings, running
from tests.unit.telephony.test_calls import Script, hangup, run

ANNA = AgentId("anna")
CALLER = "Local/2001@cc-inbound-1;2"
AGENT_LEG = "Local/1001@cc-agent-00000001"
PHONE = "PJSIP/1001-00000002"


@pytest.fixture
async def tracked() -> AsyncIterator[tuple[Rig, CallTracker]]:
    tracker = CallTracker()
    async with running(rig_settings(), calls=tracker) as rig:
        yield rig, tracker


async def anna_talks(rig: Rig, tracker: CallTracker, *, optimised: bool) -> None:
    """Anna's agent leg (a Local pair whose `;2` Dials her phone) answers the
    caller; with `optimised`, Asterisk has swapped the caller into the phone's
    bridge and hung the pair up."""
    await rig.service.login(ANNA)
    await rig.arrive(1)
    [ring] = await rig.rings(1)
    events = AgentLeg(ChannelId(ring.channel_id))
    run(tracker, events.answered())
    rig.pbx.bridge_peers[CALLER] = f"{AGENT_LEG};1"
    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    if optimised:
        run(tracker, events.optimised())
        rig.pbx.bridge_peers[CALLER] = PHONE


class AgentLeg:
    """The tracker's inputs for the caller `c`, the agent leg originated into it
    (`leg`; its `;2` is `<leg>-2`) and the phone `ph` that `;2` Dials."""

    def __init__(self, leg: ChannelId) -> None:
        self.leg, self.s = leg, Script()

    def answered(self) -> list[TrackerInput]:
        """Up to both bridges: the phone's (Dial) and the caller's (Bridge())."""
        s, leg, two = self.s, self.leg, f"{self.leg}-2"
        return [
            s(ChannelCreated, "c", name=CALLER),
            LegExpected(
                pbx_id=PBX, channel_ids=(leg, ChannelId(two)), joins_channel=CALLER
            ),
            s(ChannelCreated, leg, context="cc-agent", name=f"{AGENT_LEG};1"),
            s(ChannelCreated, two, linkedid=leg, name=f"{AGENT_LEG};2"),
            s(DialStarted, two, linkedid=leg, name=f"{AGENT_LEG};2"),
            s(ChannelCreated, "ph", linkedid=leg, context="cc-phones", name=PHONE),
            s(ChannelStateChanged, "ph", linkedid=leg, state="Up", name=PHONE),
            self._phone(BridgeEntered, "dial"),
            self._half(BridgeEntered, "2", "dial"),
            s(BridgeEntered, "c", bridge_id="callers", state="Up", name=CALLER),
            self._half(BridgeEntered, "1", "callers"),
        ]

    def optimised(self) -> list[TrackerInput]:
        """The caller swapped into the phone's bridge, the pair hung up."""
        s, leg = self.s, self.leg
        return [
            s(BridgeLeft, "c", bridge_id="callers", state="Up", name=CALLER),
            self._half(BridgeLeft, "2", "dial"),
            s(BridgeEntered, "c", bridge_id="dial", state="Up", name=CALLER),
            hangup(s, f"{leg}-2", leg),
            self._half(BridgeLeft, "1", "callers"),
            hangup(s, leg, "c"),
        ]

    def _phone(self, kind: type[BridgeEntered], bridge: str) -> TrackerInput:
        return self.s(kind, "ph", linkedid=self.leg, bridge_id=bridge, state="Up",
                      name=PHONE)  # fmt: skip

    def _half(
        self, kind: type[BridgeEntered | BridgeLeft], n: str, bridge: str
    ) -> TrackerInput:
        channel_id, name = (self.leg if n == "1" else f"{self.leg}-2"), AGENT_LEG
        return self.s(kind, channel_id, linkedid=self.leg, context="cc-agent",
                      name=f"{name};{n}", bridge_id=bridge, state="Up")  # fmt: skip


@pytest.mark.parametrize("optimised", [False, True])
async def test_agents_phone_is_hung_up_when_the_agent_hangs_up(
    tracked: tuple[Rig, CallTracker], optimised: bool
) -> None:
    rig, tracker = tracked
    await anna_talks(rig, tracker, optimised=optimised)

    await rig.service.transfers.hang_up(ANNA)

    assert rig.pbx.hangups == [PHONE]


@pytest.mark.parametrize("optimised", [False, True])
async def test_agents_phone_is_freed_when_the_caller_is_sent_blind_to_a_queue(
    tracked: tuple[Rig, CallTracker], optimised: bool
) -> None:
    rig, tracker = tracked
    await anna_talks(rig, tracker, optimised=optimised)

    await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.BLIND,
        target=TransferTarget(kind=TargetKind.QUEUE, value="general"),
    )

    assert rig.pbx.redirects == [(CALLER, "cc-wait", "s", 1)]
    assert rig.pbx.hangups == [PHONE]
    assert rig.state("anna") is AgentState.WRAP_UP


async def test_agents_phone_consults_when_the_agent_starts_an_attended_transfer(
    tracked: tuple[Rig, CallTracker],
) -> None:
    rig, tracker = tracked
    await anna_talks(rig, tracker, optimised=False)
    await rig.service.login(AgentId("boris"))

    await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.ATTENDED,
        target=TransferTarget(kind=TargetKind.AGENT, value="boris"),
    )

    assert rig.pbx.transfers == [(PHONE, "cc-agent", "1002")]
