"""Erlang C against published worked examples and the closed-form formula."""

from __future__ import annotations

import math

import pytest

from acd.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    service_level,
)

# Call Centre Helper's worked example: 100 calls per 30 minutes, 180 s handle time
# (10 erlangs), target 80% answered within 20 s.
RATE = 100 / 1800
AHT = 180.0


def closed_form_c(traffic: float, agents: int) -> float:
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    below = sum(traffic**k / math.factorial(k) for k in range(agents))
    return top / (below + top)


@pytest.mark.parametrize(
    ("agents", "waits", "level"),
    [
        (11, 0.6821, 0.3896),
        (12, 0.4494, 0.6402),
        (13, 0.2853, 0.7956),
        (14, 0.1741, 0.8884),
    ],
)
def test_published_figures_reproduced_when_ten_erlangs_are_offered(
    agents: int, waits: float, level: float
) -> None:
    assert erlang_c(10.0, agents) == pytest.approx(waits, abs=5e-5)
    got = service_level(arrival_per_s=RATE, aht_s=AHT, agents=agents, target_s=20)
    assert got == pytest.approx(level, abs=5e-4)


def test_fourteen_agents_needed_when_target_is_eighty_in_twenty() -> None:
    assert (
        agents_needed(arrival_per_s=RATE, aht_s=AHT, target_s=20, target_level=0.8)
        == 14
    )


@pytest.mark.parametrize(
    ("traffic", "agents"), [(48.0, 55), (0.5, 1), (2.5, 4), (95.0, 110)]
)
def test_recurrence_matches_closed_form_when_load_is_below_capacity(
    traffic: float, agents: int
) -> None:
    assert erlang_c(traffic, agents) == pytest.approx(closed_form_c(traffic, agents))


def test_erlang_b_matches_table_value_when_ten_erlangs_meet_ten_lines() -> None:
    assert erlang_b(10.0, 10) == pytest.approx(0.2146, abs=5e-5)


def test_speed_of_answer_follows_wait_probability_when_staffed() -> None:
    asa = average_speed_of_answer(arrival_per_s=RATE, aht_s=AHT, agents=14)
    assert asa == pytest.approx(0.1741 * 180 / 4, abs=0.01)


def test_everyone_waits_and_no_service_when_load_reaches_capacity() -> None:
    assert erlang_c(10.0, 10) == 1.0
    assert service_level(arrival_per_s=RATE, aht_s=AHT, agents=10, target_s=20) == 0.0
    assert average_speed_of_answer(arrival_per_s=RATE, aht_s=AHT, agents=9) == math.inf


def test_no_agents_needed_when_no_calls_arrive() -> None:
    assert agents_needed(arrival_per_s=0, aht_s=AHT, target_s=20, target_level=0.9) == 0
    assert erlang_c(0.0, 3) == 0.0


def test_bad_target_rejected_when_level_is_not_a_fraction() -> None:
    with pytest.raises(ValueError, match="target_level"):
        agents_needed(arrival_per_s=RATE, aht_s=AHT, target_s=20, target_level=1.0)
