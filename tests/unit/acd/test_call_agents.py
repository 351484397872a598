"""Who may pause a live call's recording: the ACD's answer, as the composition root
hands it to the recordings service (AcdCallAgents)."""

from __future__ import annotations

from acd.model import AgentId
from contactcentre.bootstrap import AcdCallAgents
from tests.unit.acd.test_service import Rig
from tests.unit.acd.test_transfers import anna_on_call


async def test_only_the_connected_agent_is_on_the_call_while_it_lasts(
    rig: Rig,
) -> None:
    agents = AcdCallAgents(rig.service)
    call, _ = await anna_on_call(rig)
    await rig.service.login(AgentId("boris"))
    assert agents.is_on_call("anna", call)
    assert not agents.is_on_call("boris", call)
    assert not agents.is_on_call("anna", "pbx1:another-call")
    await rig.end(call)
    assert not agents.is_on_call("anna", call)
