"""The simulator runs the same steps as the reference extensions.conf for the
contexts it shares with it: the waiting loop, the queue exits and the agent leg."""

from __future__ import annotations

import random

import pytest

from telephony import dialplan
from telephony.sim.channels import Channel, Event, Pbx
from telephony.sim.dialplan import PHONE_CONTEXT, PRIORITY_LABELS, Dialplan, Line
from telephony.sim.model import SimConfig
from tests.unit.telephony.test_asterisk_config import (
    conf,
    context_for,
    dialplan_steps,
    section,
)


def simulated(context: str, exten: str) -> tuple[Dialplan, list[tuple[str, str]]]:
    events: list[Event] = []
    dp = Dialplan(
        Pbx(epoch=1, emit=events.append),
        SimConfig(),
        rng=random.Random(1),
        spawn=lambda coro: coro.close(),
        clock=lambda: 0.0,
    )
    steps = dp.steps(Line(Channel("Local/x;2", "1.1", "1.1", context, exten)))
    assert steps is not None
    return dp, steps


@pytest.mark.parametrize(
    ("context", "exten"),
    [
        (dialplan.WAIT_CONTEXT, dialplan.WAIT_EXTEN),
        *[(dialplan.QUEUE_EXIT_CONTEXT, e) for e in sorted(dialplan.QUEUE_EXIT_EXTENS)],
    ],
)
def test_simulator_runs_the_conf_steps_when_a_shared_context_is_entered(
    context: str, exten: str
) -> None:
    extensions = conf("extensions.conf")
    dp, got = simulated(context, exten)
    expected = context_for(dialplan_steps(extensions), context, exten)
    globals_ = dict(section(extensions, "globals").entries)
    globals_["AGI_HOST"] = dp.agi_host

    def expand(text: str) -> str:
        for name, value in globals_.items():
            text = text.replace(f"${{{name}}}", value)
        return text

    assert got == [(s.application, expand(s.data)) for s in expected]
    for number, step in enumerate(expected, start=1):
        if step.priority.startswith("n("):
            label = step.priority[2:-1]
            assert PRIORITY_LABELS[(context, exten)][label] == number


def test_announcement_interval_follows_the_global_when_it_is_changed() -> None:
    dp, _ = simulated(dialplan.WAIT_CONTEXT, dialplan.WAIT_EXTEN)
    dp.globals[dialplan.ANNOUNCE_EVERY_VARIABLE] = "5"
    steps = dp.steps(
        Line(Channel("Local/y;2", "1.2", "1.2", dialplan.WAIT_CONTEXT, "s"))
    )
    assert steps is not None
    assert ("MusicOnHold", f"{dialplan.MOH_CLASS},5") in steps


def test_agent_leg_dials_the_stand_in_phone_when_the_conf_dials_pjsip() -> None:
    """`[cc-agent]` as shipped, with the phone stand-in where it Dials PJSIP (as
    agent-leg-bridges.ami.txt was recorded)."""
    expected = context_for(
        dialplan_steps(conf("extensions.conf")), dialplan.AGENT_CONTEXT, "1001"
    )
    _, got = simulated(dialplan.AGENT_CONTEXT, "1001")

    def as_run(data: str) -> str:
        data = data.replace("${EXTEN}", "1001")
        return data.replace("PJSIP/1001", f"Local/1001@{PHONE_CONTEXT}")

    assert got == [(s.application, as_run(s.data)) for s in expected]
