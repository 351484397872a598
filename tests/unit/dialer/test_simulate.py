"""Simulated days: what each pacing method does to abandonment and agents' time."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.abandonment import UK_RULES
from dialer.scenario import Answer, AttemptDraw, Draws, Scenario, attempt
from dialer.simulate import Method, compare, simulate_day


@settings(max_examples=12, deadline=None)
@given(
    agents=st.integers(min_value=1, max_value=12),
    person_rate=st.floats(min_value=0.05, max_value=0.6),
    amd_accuracy=st.floats(min_value=0.5, max_value=1.0),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_progressive_never_abandons_when_agents_take_calls_at_once(
    agents: int, person_rate: float, amd_accuracy: float, seed: int
) -> None:
    scenario = Scenario(
        agents=agents, hours=0.5, person_rate=person_rate, amd_accuracy=amd_accuracy
    )
    day = simulate_day(scenario, Method.PROGRESSIVE, Draws(seed))
    assert day.persons > 0
    assert day.abandoned == 0


@settings(max_examples=4, deadline=None)
@given(
    agents=st.integers(min_value=20, max_value=40),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_predictive_holds_abandonment_under_the_limit_when_20_or_more_agents(
    agents: int, seed: int
) -> None:
    scenario = Scenario(agents=agents, hours=2)
    day = simulate_day(scenario, Method.PREDICTIVE, Draws(seed))
    assert day.persons > 500
    assert 0 < day.abandon_rate <= scenario.rules.limit


def test_predictive_keeps_agents_busier_than_progressive_on_the_same_draws() -> None:
    predictive, progressive = compare(
        Scenario(agents=30, hours=1),
        seed=7,
        methods=(Method.PREDICTIVE, Method.PROGRESSIVE),
    )
    assert predictive.occupancy > 0.8
    assert progressive.occupancy < 0.7
    assert predictive.talk_s >= 1.3 * progressive.talk_s


def test_predictive_stays_under_the_limit_when_the_answer_rate_collapses() -> None:
    steady = Scenario(agents=20, hours=3)
    collapsed = replace(steady, collapse_at_h=1.5, collapse_person_rate=0.10)
    before = simulate_day(steady, Method.PREDICTIVE, Draws(3))
    after = simulate_day(collapsed, Method.PREDICTIVE, Draws(3))
    assert after.abandon_rate <= collapsed.rules.limit
    # it dials faster to find the people who now answer less often
    assert after.dials > before.dials * 1.2


def test_adapt_tapered_overshoots_the_limit_before_its_taper_starts() -> None:
    # 09:00-11:00 with 21:00 as the latest target: over "1000" left, no taper yet
    day = simulate_day(Scenario(agents=20, hours=2), Method.ADAPT_TAPERED, Draws(5))
    assert day.abandon_rate > 0.03


def test_uk_rules_count_people_taken_for_machines_as_abandoned() -> None:
    us = Scenario(agents=5, hours=1, amd_accuracy=0.8)
    uk = replace(us, rules=UK_RULES)
    us_day = simulate_day(us, Method.PROGRESSIVE, Draws(11))
    uk_day = simulate_day(uk, Method.PROGRESSIVE, Draws(11))
    assert us_day.abandoned == 0
    assert uk_day.abandon_rate == pytest.approx(0.2, abs=0.08)


def test_draws_do_not_depend_on_which_method_used_them_first() -> None:
    scenario = Scenario(agents=8, hours=0.5)
    shared = Draws(21)
    simulate_day(scenario, Method.FIXED_RATIO, shared)
    after_another = simulate_day(scenario, Method.PROGRESSIVE, shared)
    fresh = simulate_day(scenario, Method.PROGRESSIVE, Draws(21))
    assert after_another == fresh


def test_a_seed_gives_the_same_day_every_time() -> None:
    scenario = Scenario(agents=10, hours=0.5)
    assert compare(scenario, seed=4) == compare(scenario, seed=4)
    assert compare(scenario, seed=4) != compare(scenario, seed=5)


def test_progress_runs_from_zero_to_one_over_all_methods() -> None:
    seen: list[float] = []
    compare(Scenario(agents=3, hours=0.5), seed=1, progress=seen.append)
    assert seen[0] == 0.0
    assert seen == sorted(seen)
    assert 0.95 <= seen[-1] <= 1.0


@pytest.mark.parametrize(
    ("u", "answer", "to_agent"),
    [
        (0.1, Answer.PERSON, True),
        (0.3, Answer.MACHINE, False),
        (0.45, Answer.BUSY, False),
    ],
)
def test_an_attempts_outcome_follows_the_rates_at_its_dial_time(
    u: float, answer: Answer, to_agent: bool
) -> None:
    draw = AttemptDraw(answer_u=u, ring_u=0.5, detection_u=0.1, talk_z=0.0)
    fate = attempt(Scenario(), draw, dialled_at_s=0)
    assert (fate.answer, fate.to_agent) == (answer, to_agent)


def test_after_the_collapse_fewer_draws_are_people() -> None:
    collapsed = Scenario(collapse_at_h=1, collapse_person_rate=0.10)

    def answer(u: float, at_s: float) -> Answer:
        draw = AttemptDraw(answer_u=u, ring_u=0.5, detection_u=0.1, talk_z=0.0)
        return attempt(collapsed, draw, dialled_at_s=at_s).answer

    assert answer(0.2, 3599) is Answer.PERSON
    assert answer(0.2, 3600) is not Answer.PERSON
    assert answer(0.05, 3600) is Answer.PERSON


def test_answered_call_is_known_after_ring_and_detection() -> None:
    draw = AttemptDraw(answer_u=0.1, ring_u=0.5, detection_u=0.95, talk_z=0.0)
    fate = attempt(Scenario(), draw, dialled_at_s=0)
    assert fate.known_after_s == 10.0 + 2.5
    assert not fate.to_agent  # detection wrong: a person taken for a machine


def test_a_scenario_names_every_bad_parameter() -> None:
    with pytest.raises(ValueError, match="sum to <= 1") as caught:
        Scenario(person_rate=0.7, machine_rate=0.5, agents=0)
    assert "agents must be at least 1" in str(caught.value)
    with pytest.raises(ValueError, match="ringing at least 15"):
        Scenario(no_answer_after_s=10)
