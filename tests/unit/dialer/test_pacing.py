"""Pacing decisions on hand-built floors: preview, progressive, ratio, predictive."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.abandonment import WindowTally
from dialer.pacing import (
    AgentState,
    AgentView,
    Estimates,
    Floor,
    PredictiveSettings,
    allowed_abandon_fraction,
    observe_outcome,
    observe_talk,
    observe_wrap_up,
    predictive_dials,
    preview_dials,
    progressive_dials,
    ratio_dials,
)

READY = AgentView(state=AgentState.READY)
SETTINGS = PredictiveSettings()
NO_HISTORY = WindowTally(answered=0, abandoned=0)


def talking(since_s: float) -> AgentView:
    return AgentView(state=AgentState.TALKING, since_s=since_s)


def learned(*, connect_share: float = 0.25, talk_s: float = 120.0) -> Estimates:
    """Estimates after 400 dials (a share reaching agents after 12.5 s, the rest
    known after 25 s) and 300 talks of exactly talk_s."""
    estimates = Estimates()
    connects = round(400 * connect_share)
    for i in range(400):
        to_agent = i < connects
        estimates = observe_outcome(
            estimates, after_s=12.5 if to_agent else 25.0, to_agent=to_agent
        )
    for _ in range(300):
        estimates = observe_talk(estimates, talk_s)
    return observe_wrap_up(estimates, 10.0)


def test_progressive_dials_one_call_per_free_agent_not_yet_served() -> None:
    floor = Floor(
        now_s=100,
        agents=(READY,) * 5 + (talking(0),) * 3,
        dialling_since_s=(90.0, 95.0),
        waiting=1,
    )
    assert progressive_dials(floor) == 2


def test_progressive_never_dials_more_than_ready_agents() -> None:
    floor = Floor(now_s=0, agents=(talking(0),) * 3, dialling_since_s=(0.0,))
    assert progressive_dials(floor) == 0


def test_preview_dials_only_for_agents_who_asked() -> None:
    floor = Floor(now_s=0, agents=(READY,) * 4, dialling_since_s=(0.0,))
    assert preview_dials(floor, agents_asking=1) == 1
    assert preview_dials(floor, agents_asking=9) == 3
    assert preview_dials(floor, agents_asking=0) == 0


def test_ratio_counts_ready_and_talking_agents_not_wrap_up_or_paused() -> None:
    agents = (
        (READY,) * 2
        + (talking(0),) * 2
        + (
            AgentView(state=AgentState.WRAP_UP),
            AgentView(state=AgentState.PAUSED),
        )
    )
    floor = Floor(now_s=0, agents=agents)
    # round(1.5 * 4) - 2 with agents
    assert ratio_dials(floor, level=1.5) == 4
    assert ratio_dials(floor, level=1.5, agents_offset=-4) == 0


def test_predictive_dials_progressively_until_it_has_seen_enough_dials() -> None:
    floor = Floor(now_s=0, agents=(READY,) * 3 + (talking(0),) * 10)
    assert (
        predictive_dials(floor, Estimates(), window=NO_HISTORY, settings=SETTINGS) == 3
    )


def test_predictive_dials_nothing_when_no_agent_is_staffed() -> None:
    paused = AgentView(state=AgentState.PAUSED)
    floor = Floor(now_s=0, agents=(paused,) * 5)
    assert predictive_dials(floor, learned(), window=NO_HISTORY, settings=SETTINGS) == 0
    nobody = Floor(now_s=0, agents=())
    assert (
        predictive_dials(nobody, learned(), window=NO_HISTORY, settings=SETTINGS) == 0
    )


def wrapping_up(since_s: float) -> AgentView:
    return AgentView(state=AgentState.WRAP_UP, since_s=since_s)


def test_predictive_dials_ahead_for_agents_about_to_finish() -> None:
    # 20 agents in wrap-up, free in 5 s, before a dial now reaches a person (12.5 s)
    soon = Floor(now_s=1000, agents=(wrapping_up(995),) * 20)
    # the same agents only 10 s into their talks: none free for 2 minutes
    late = Floor(now_s=1000, agents=(talking(990),) * 20)
    estimates = learned(talk_s=120.0)
    dials_soon = predictive_dials(soon, estimates, window=NO_HISTORY, settings=SETTINGS)
    dials_late = predictive_dials(late, estimates, window=NO_HISTORY, settings=SETTINGS)
    assert progressive_dials(soon) == 0
    assert dials_late == 0
    # about 20 agents' worth of people at a 25% connect share, a little under
    assert 50 <= dials_soon <= 80


def test_predictive_dials_more_when_fewer_dials_reach_a_person() -> None:
    floor = Floor(now_s=1000, agents=(wrapping_up(995),) * 20)
    rich = predictive_dials(
        floor, learned(connect_share=0.4), window=NO_HISTORY, settings=SETTINGS
    )
    poor = predictive_dials(
        floor, learned(connect_share=0.1), window=NO_HISTORY, settings=SETTINGS
    )
    assert 30 <= rich <= 50  # 20 agents / 0.4, a little under
    assert poor == SETTINGS.max_lines_per_agent * 20  # 20 / 0.1 would pass the cap


def test_predictive_counts_calls_already_ringing_for_those_agents() -> None:
    floor = Floor(now_s=1000, agents=(wrapping_up(995),) * 20)
    estimates = learned()
    alone = predictive_dials(floor, estimates, window=NO_HISTORY, settings=SETTINGS)
    ringing = replace(floor, dialling_since_s=(999.0,) * 40)
    assert (
        predictive_dials(ringing, estimates, window=NO_HISTORY, settings=SETTINGS)
        < alone - 25
    )


def test_predictive_falls_back_to_progressive_when_over_budget() -> None:
    floor = Floor(now_s=1000, agents=(READY,) * 2 + (wrapping_up(995),) * 20)
    over = WindowTally(answered=1000, abandoned=60)
    assert allowed_abandon_fraction(over, SETTINGS) == 0.0
    assert predictive_dials(floor, learned(), window=over, settings=SETTINGS) == 2


def test_controller_aims_under_the_limit_and_corrects_both_ways() -> None:
    aim = SETTINGS.limit * SETTINGS.aim
    assert allowed_abandon_fraction(NO_HISTORY, SETTINGS) == pytest.approx(aim)
    on_aim = WindowTally(answered=1000, abandoned=24)
    under = WindowTally(answered=1000, abandoned=20)
    over_aim_under_limit = WindowTally(answered=1000, abandoned=27)
    assert allowed_abandon_fraction(on_aim, SETTINGS) == pytest.approx(aim)
    assert aim < allowed_abandon_fraction(under, SETTINGS) <= 2 * aim
    # it brakes before the limit is reached, not after
    assert allowed_abandon_fraction(over_aim_under_limit, SETTINGS) < aim


@given(
    answered=st.integers(min_value=0, max_value=100_000),
    share=st.floats(min_value=0, max_value=1),
)
def test_allowed_fraction_stays_between_zero_and_twice_the_aim(
    answered: int, share: float
) -> None:
    window = WindowTally(answered=answered, abandoned=round(answered * share))
    allowed = allowed_abandon_fraction(window, SETTINGS)
    assert 0.0 <= allowed <= 2 * SETTINGS.limit * SETTINGS.aim


@given(
    ready=st.integers(min_value=0, max_value=30),
    busy=st.integers(min_value=0, max_value=30),
    elapsed=st.floats(min_value=0, max_value=600),
    ringing=st.integers(min_value=0, max_value=60),
    abandoned=st.integers(min_value=0, max_value=100),
)
def test_predictive_never_dials_less_than_progressive_or_beyond_its_cap(
    ready: int, busy: int, elapsed: float, ringing: int, abandoned: int
) -> None:
    floor = Floor(
        now_s=1000,
        agents=(READY,) * ready + (talking(1000 - elapsed),) * busy,
        dialling_since_s=(995.0,) * ringing,
    )
    window = WindowTally(answered=1000, abandoned=abandoned)
    dials = predictive_dials(floor, learned(), window=window, settings=SETTINGS)
    assert dials >= progressive_dials(floor)
    cap = SETTINGS.max_lines_per_agent * (ready + busy) - ringing
    assert dials <= max(cap, progressive_dials(floor))
