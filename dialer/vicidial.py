"""VICIdial's ADAPT_TAPERED adaptive dial level, re-implemented to compare against.

A faithful port of VICIdial 2.4's `bin/AST_VDadapt.pl` (github.com/inktel/Vicidial,
subroutines `count_agents_lines` and `calculate_dial_level`; the same formulas are in
2.14, build 230309-1009) and of the goal-calls step of `bin/AST_VDauto_dial.pl`:
  - every second, sample the campaign's ready agents, its answered calls waiting
    for an agent and all its agents; average the last 15 samples; the differential
    is average ready minus average waiting;
  - every 15 s, level x (1 + differential / average agents), the difference scaled
    by the intensity (-40..40: up x (1 + i/100), down x |i/100 - 1|), rounded to
    3 decimals, capped at the maximum level and raised to at least 1;
  - every 60 s, recount today's and the last minute's calls and drops; over 50% of
    the last minute's calls dropped (more than 20 calls) halves the level; once
    today's drops over answers (more than 50 calls) pass the limit, the level is
    multiplied by (latest server time - now) / 1000 in HHMM arithmetic, kept at 1
    after that time: a brake applied after the limit is passed, hence its overshoot;
  - the dialler places round(level x agents ready or talking) less the calls in
    progress (dialling, waiting, with an agent), every 2.5 s.
Pure: the caller drives the timers and supplies the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dialer.pacing import AgentState, Floor, ratio_dials

SAMPLES = 15
"""count_agents_lines averages the last 15 one-second samples ($stat_it)."""
SAMPLE_PERIOD_S = 1.0
LEVEL_PERIOD_S = 15.0
DROPS_PERIOD_S = 60.0
DIAL_PERIOD_S = 2.5
"""AST_VDauto_dial.pl's default loop delay (2500 ms)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdaptSettings:
    """The campaign fields AST_VDadapt.pl reads, with VICIdial's defaults.

    `dropped_percentage` is a percentage (3 = 3%); `latest_server_time` is HHMM.
    """

    initial_level: float = 1.0
    dropped_percentage: float = 3.0
    maximum_level: float = 3.0
    latest_server_time: int = 2100
    intensity: float = 0.0
    dl_diff_target: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSample:
    ready: int
    waiting: int
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DropStats:
    """Counts since midnight and over the last minute (calculate_drops)."""

    calls_today: int = 0
    answers_today: int = 0
    drops_today: int = 0
    calls_one: int = 0
    drops_one: int = 0

    @property
    def drops_one_pct(self) -> float:
        if not self.drops_one:
            return 0.0
        return _round(self.drops_one / self.calls_one * 100, 2)

    @property
    def drops_answers_today_pct(self) -> float:
        if not self.drops_today:
            return 0.0
        return _round(self.drops_today / max(self.answers_today, 1) * 100, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdaptState:
    level: float
    samples: tuple[AgentSample, ...] = ()


def start(settings: AdaptSettings) -> AdaptState:
    return AdaptState(level=settings.initial_level)


def sample_floor(state: AdaptState, floor: Floor) -> AdaptState:
    """count_agents_lines: ready agents, calls waiting (LIVE) and all agents."""
    sample = AgentSample(
        ready=floor.count(AgentState.READY),
        waiting=floor.waiting,
        total=len(floor.agents),
    )
    return replace(state, samples=(*state.samples, sample)[-SAMPLES:])


def differential(samples: tuple[AgentSample, ...]) -> tuple[float, float]:
    """(average ready - average waiting, average agents) over the samples."""
    if not samples:
        return 0.0, 0.0
    n = len(samples)
    ready = sum(s.ready for s in samples) / n
    waiting = sum(s.waiting for s in samples) / n
    return ready - waiting, sum(s.total for s in samples) / n


def recalculate(
    state: AdaptState, settings: AdaptSettings, *, hourmin: int, drops: DropStats
) -> AdaptState:
    """The 15-second step; skipped, as in the original, with no agents on average."""
    diff, agents_avg = differential(state.samples)
    if agents_avg <= 0:
        return state
    level = tapered_level(
        settings,
        level=state.level,
        differential=diff,
        agents_avg=agents_avg,
        hourmin=hourmin,
        drops=drops,
    )
    return replace(state, level=level)


def tapered_level(
    settings: AdaptSettings,
    *,
    level: float,
    differential: float,
    agents_avg: float,
    hourmin: int,
    drops: DropStats,
) -> float:
    """calculate_dial_level for ADAPT_TAPERED, step by step as in the Perl."""
    target = differential + settings.dl_diff_target
    mul = target / agents_avg if target != 0 and agents_avg != 0 else 0.0
    pct_raw = mul * 100
    intensity_mul = settings.intensity / 100
    if pct_raw < 0:
        intensity_diff = pct_raw * abs(intensity_mul - 1)
    else:
        intensity_diff = pct_raw * (intensity_mul + 1)
    new = _round(level * (intensity_diff / 100 + 1), 3)
    new = min(new, settings.maximum_level)
    new = max(new, 1.0)
    hours_left = settings.latest_server_time - hourmin
    tapered_rate = 1.0 if hours_left > 1000 else hours_left / 1000
    if drops.calls_one > 20 and drops.drops_one_pct > 50:
        new /= 2
    if (
        drops.calls_today > 50
        and drops.drops_answers_today_pct > settings.dropped_percentage
    ):
        new = 1.0 if hours_left < 0 else new * tapered_rate
    return max(new, 1.0)


def adapt_dials(floor: Floor, state: AdaptState, settings: AdaptSettings) -> int:
    """AST_VDauto_dial.pl's calls to place at the current level."""
    return ratio_dials(floor, level=state.level, agents_offset=settings.dl_diff_target)


def hourmin(day_start_hhmm: int, elapsed_s: float) -> int:
    """The server's HHMM clock as an integer ($current_hourmin), elapsed_s into a day
    that starts at day_start_hhmm."""
    minutes = (day_start_hhmm // 100) * 60 + day_start_hhmm % 100 + int(elapsed_s // 60)
    return (minutes // 60 % 24) * 100 + minutes % 60


def _round(value: float, places: int) -> float:
    """Perl's sprintf("%.Nf"), which Python's format matches digit for digit."""
    return float(f"{value:.{places}f}")
