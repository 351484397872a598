"""ChanSpy in the simulator as Asterisk 20's app_chanspy runs it, over AMI: the
supervisor's leg Originated into `cc-spy` answers, says `ChanSpyStart` (spyer,
then spyee) for the channel named in full, and with `E` ends when that channel
hangs up (`ChanSpyStop` with the spyer alone, then its Hangup); a channel that
does not exist makes it give up and hang up without spying."""

from __future__ import annotations

from telephony.ami_parse import AmiMessage
from telephony.dialplan import SPY_CHANNEL_VARIABLE, SPY_CONTEXT, agent_channel
from telephony.sim.model import AgentPhone, SimConfig
from telephony.sim.simulator import Simulator
from tests.integration.sim_harness import AmiClient

PHONES = (
    AgentPhone(endpoint="1001", ring_s=0.1, talk_s=60),
    AgentPhone(endpoint="1009", ring_s=0.1, talk_s=60),
)


def sim() -> Simulator:
    config = SimConfig(agi_host=None, agi_port=None, agents=PHONES)
    return Simulator(config, keep_events=True)


async def originate(client: AmiClient, *pairs: tuple[str, str]) -> AmiMessage:
    action_id = await client.send("Originate", *pairs, ("Async", "true"))
    return await client.wait_for_message(
        lambda m: m.event == "OriginateResponse" and m.action_id == action_id
    )


async def an_agent_on_a_call(client: AmiClient) -> str:
    """The agent's phone answered and talking: its channel's name."""
    answered = await originate(
        client,
        ("Channel", "Local/1001@cc-agentphone"),
        ("Application", "MusicOnHold"),
        ("Data", "default,60"),
    )
    assert answered["Response"] == "Success"
    return answered["Channel"]


async def spy(client: AmiClient, channel: str, mode: str) -> AmiMessage:
    return await originate(
        client,
        ("Channel", agent_channel("1009")),
        ("Context", SPY_CONTEXT),
        ("Exten", mode),
        ("Priority", "1"),
        ("ChannelId", "spy-1"),
        ("Variable", f"{SPY_CHANNEL_VARIABLE}={channel}"),
    )


def fields(message: AmiMessage) -> list[str]:
    return [key for key, _ in message.pairs()]


async def test_spying_lasts_until_the_agents_channel_hangs_up_when_e_is_given() -> None:
    async with sim() as pbx:
        client = await AmiClient.connect(pbx.ami_port)
        await client.login()
        agent = await an_agent_on_a_call(client)
        started = await spy(client, agent, "whisper")
        assert started["Response"] == "Success"
        start = await client.wait_for_message(lambda m: m.event == "ChanSpyStart")
        assert (start["SpyerUniqueid"], start["SpyeeChannel"]) == ("spy-1", agent)
        keys = fields(start)
        assert keys.index("SpyerLinkedid") < keys.index("SpyeeChannel")
        [exten] = [
            e for e in client.events()
            if e.event == "Newexten" and e.get("Application") == "ChanSpy"
        ]  # fmt: skip
        assert exten["AppData"] == f"{agent},qwEu"

        await client.call("Hangup", ("Channel", agent))
        stop = await client.wait_for_message(lambda m: m.event == "ChanSpyStop")
        assert stop["SpyerUniqueid"] == "spy-1"
        assert not [k for k in fields(stop) if k.startswith("Spyee")]
        await client.wait_for_message(
            lambda m: m.event == "Hangup" and m.get("Uniqueid") == "spy-1"
        )
        await client.close()


async def test_spying_gives_up_at_once_when_the_channel_is_gone() -> None:
    async with sim() as pbx:
        client = await AmiClient.connect(pbx.ami_port)
        await client.login()
        started = await spy(client, "Local/1001@cc-agentphone-0000ffff;1", "listen")
        assert started["Response"] == "Success"
        await client.wait_for_message(
            lambda m: m.event == "Hangup" and m.get("Uniqueid") == "spy-1"
        )
        assert not [e for e in client.events() if e.event == "ChanSpyStart"]
        await client.close()
