"""ADAPT_TAPERED against VICIdial's formulas, worked by hand (AST_VDadapt.pl 2.4)."""

from __future__ import annotations

import pytest

from dialer import vicidial
from dialer.pacing import AgentState, AgentView, Floor
from dialer.vicidial import AdaptSettings, AgentSample, DropStats, tapered_level

QUIET = DropStats()
DEFAULTS = AdaptSettings()


def level(
    settings: AdaptSettings = DEFAULTS,
    *,
    at: float = 2.0,
    diff: float = 0.0,
    agents: float = 50.0,
    hhmm: int = 1000,
    drops: DropStats = QUIET,
) -> float:
    return tapered_level(
        settings,
        level=at,
        differential=diff,
        agents_avg=agents,
        hourmin=hhmm,
        drops=drops,
    )


def test_level_rises_by_the_ready_share_when_intensity_is_zero() -> None:
    # 5 agents ready on average of 50: 2.0 * (1 + 5/50)
    assert level(diff=5) == 2.2


def test_level_falls_by_the_waiting_share() -> None:
    # 2 calls waiting more than agents ready, of 40: 2.0 * (1 - 2/40)
    assert level(diff=-2, agents=40) == 1.9


@pytest.mark.parametrize(
    ("intensity", "diff", "expected"),
    [
        (20, 5, 2.24),  # +10% * (1 + 0.2) = +12%
        (20, -5, 1.84),  # -10% * |0.2 - 1| = -8%
        (-20, 5, 2.16),  # +10% * (1 - 0.2) = +8%
        (-20, -5, 1.76),  # -10% * |-0.2 - 1| = -12%
    ],
)
def test_intensity_scales_rises_and_falls_differently(
    intensity: float, diff: float, expected: float
) -> None:
    assert level(AdaptSettings(intensity=intensity), diff=diff) == expected


def test_level_is_rounded_to_3_decimals_and_kept_between_1_and_the_maximum() -> None:
    assert level(at=1.5, diff=1, agents=3) == 2.0  # 1.5 * 4/3 = 2.0 exactly
    assert level(at=1.234, diff=1, agents=7) == 1.41  # 1.410285... -> 1.410
    assert level(at=2.9, diff=10) == 3.0
    assert level(at=1.0, diff=-25) == 1.0


def test_dl_diff_target_shifts_the_differential() -> None:
    # one customer waiting wanted: differential 0 + 1
    assert level(AdaptSettings(dl_diff_target=1), diff=0, agents=10) == 2.2


def test_over_the_limit_today_the_level_is_tapered_by_hours_left() -> None:
    over = DropStats(calls_today=100, answers_today=40, drops_today=2)  # 5% > 3%
    assert over.drops_answers_today_pct == 5.0
    # at 15:00 with 21:00 as the latest target: 600 left, rate 0.6
    assert level(diff=5, hhmm=1500, drops=over) == pytest.approx(2.2 * 0.6)
    # HHMM arithmetic, not minutes: 2100 - 1359 = 741
    assert level(diff=5, hhmm=1359, drops=over) == pytest.approx(2.2 * 0.741)
    # more than "1000" left: no taper at all
    assert level(diff=5, hhmm=1000, drops=over) == 2.2
    # past the latest target: 1.0
    assert level(diff=5, hhmm=2130, drops=over) == 1.0
    # the taper never takes the level under 1
    assert level(diff=5, hhmm=2050, drops=over) == 1.0


def test_taper_waits_for_more_than_50_calls_today() -> None:
    early = DropStats(calls_today=50, answers_today=10, drops_today=5)
    assert level(diff=5, hhmm=1500, drops=early) == 2.2


def test_half_of_the_last_minute_dropped_halves_the_level() -> None:
    bad_minute = DropStats(calls_one=30, drops_one=16)  # 53.33%
    assert bad_minute.drops_one_pct == 53.33
    assert level(diff=5, drops=bad_minute) == 1.1
    few = DropStats(calls_one=20, drops_one=19)  # not more than 20 calls
    assert level(diff=5, drops=few) == 2.2


def test_differential_averages_the_last_15_samples() -> None:
    state = vicidial.start(AdaptSettings())
    floor_ready = Floor(now_s=0, agents=(AgentView(state=AgentState.READY),) * 4)
    floor_busy = Floor(
        now_s=0, agents=(AgentView(state=AgentState.TALKING),) * 4, waiting=2
    )
    for _ in range(15):
        state = vicidial.sample_floor(state, floor_busy)
    for _ in range(5):
        state = vicidial.sample_floor(state, floor_ready)
    assert len(state.samples) == 15
    diff, agents = vicidial.differential(state.samples)
    # 5 samples of 4 ready, 10 samples of 2 waiting: (20 - 20) / 15
    assert diff == pytest.approx(0.0)
    assert agents == 4.0


def test_first_samples_are_averaged_over_how_many_there_are() -> None:
    samples = (AgentSample(ready=3, waiting=0, total=10),)
    assert vicidial.differential(samples) == (3.0, 10.0)


def test_recalculate_keeps_the_level_without_agents() -> None:
    state = vicidial.AdaptState(
        level=2.5, samples=(AgentSample(ready=0, waiting=0, total=0),)
    )
    after = vicidial.recalculate(state, AdaptSettings(), hourmin=1200, drops=QUIET)
    assert after.level == 2.5


def test_hourmin_is_the_servers_hhmm_clock() -> None:
    assert vicidial.hourmin(900, 4.5 * 3600) == 1330
    assert vicidial.hourmin(900, 59.9) == 900
    assert vicidial.hourmin(2330, 3600) == 30


def test_goal_calls_are_level_times_agents_less_calls_in_progress() -> None:
    agents = (AgentView(state=AgentState.READY),) * 4 + (
        AgentView(state=AgentState.TALKING),
    ) * 6
    floor = Floor(now_s=0, agents=agents, dialling_since_s=(0.0,) * 3, waiting=1)
    state = vicidial.AdaptState(level=2.0)
    # round(2.0 * 10) - (3 dialling + 1 waiting + 6 with agents)
    assert vicidial.adapt_dials(floor, state, AdaptSettings()) == 10
    # sprintf("%.0f") rounds 12.5 to even: 12
    half = vicidial.AdaptState(level=1.25)
    assert vicidial.adapt_dials(floor, half, AdaptSettings()) == 2
