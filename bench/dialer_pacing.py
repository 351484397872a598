"""Predictive pacing against progressive, fixed-ratio and VICIdial's ADAPT_TAPERED.

The standard scenario (dialer.scenario.Scenario's defaults: 50 agents, 8 hours, 25%
of dials answered by a person, 15% by a machine, 10% busy, the rest ring out; AMD
2.5 s and 90% right; talk log-normal, mean 120 s; wrap-up 10 s; US rules, 3%) over
`--seeds` seeds, every method on the same draws; then 10 agents with the person
rate stepping from 25% to 10% at hour 4. Prints each method's medians over the
seeds, then the figures: `occupancy=` (predictive's lowest), `abandon_max=` (its
highest day), `abandon_worst_hour=` (its highest rolling hour), `ratio=` (its
lowest talk time over progressive's in the same run), `vicidial_occupancy=` and
`vicidial_abandon_max=`, and the collapse scenario's.
Last line: `predictive_talk_per_agent_hour_min=N min abandon_max=F`.
Run: .venv/bin/python -m bench.dialer_pacing [--seeds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Sequence

from dialer.scenario import Scenario
from dialer.simulate import DayResult, Method, compare

COLLAPSE_AGENTS = 10
COLLAPSE_AT_H = 4.0
COLLAPSE_RATE = 0.10


def run_seeds(name: str, scenario: Scenario, seeds: int) -> list[list[DayResult]]:
    days = []
    for seed in range(seeds):
        sys.stderr.write(f"\r{name}: seed {seed + 1}/{seeds}")
        sys.stderr.flush()
        days.append(compare(scenario, seed=seed))
    sys.stderr.write("\n")
    return days


def of(days: Sequence[list[DayResult]], method: Method) -> list[DayResult]:
    return [r for day in days for r in day if r.method is method]


def print_medians(title: str, days: Sequence[list[DayResult]]) -> None:
    print(f"{title} (medians over {len(days)} seeds)")
    print(
        f"{'method':<14} {'occupancy':>9} {'talk min/agent-h':>16} "
        f"{'abandoned day':>13} {'worst hour':>10} {'dials/h':>8} {'connects/h':>10}"
    )
    for method in Method:
        rows = of(days, method)

        def median(
            value: Callable[[DayResult], float], rows: list[DayResult] = rows
        ) -> float:
            return statistics.median(value(r) for r in rows)

        print(
            f"{method.value:<14} {median(lambda r: r.occupancy):>9.1%} "
            f"{median(lambda r: r.talk_per_agent_hour_s) / 60:>16.1f} "
            f"{median(lambda r: r.abandon_rate):>13.2%} "
            f"{median(lambda r: r.worst_hour):>10.2%} "
            f"{median(lambda r: r.dials_per_hour):>8.0f} "
            f"{median(lambda r: r.connects_per_hour):>10.0f}"
        )


def main(seeds: int) -> None:
    standard = Scenario()
    days = run_seeds("standard", standard, seeds)
    collapse = Scenario(
        agents=COLLAPSE_AGENTS,
        collapse_at_h=COLLAPSE_AT_H,
        collapse_person_rate=COLLAPSE_RATE,
    )
    collapsed = run_seeds("collapse", collapse, seeds)
    print_medians("standard scenario: 50 agents, 8 h", days)
    print_medians("answer rate 25% -> 10% at hour 4, 10 agents", collapsed)
    predictive = of(days, Method.PREDICTIVE)
    progressive = of(days, Method.PROGRESSIVE)
    vicidial = of(days, Method.ADAPT_TAPERED)
    ratios = [p.talk_s / q.talk_s for p, q in zip(predictive, progressive, strict=True)]
    after = of(collapsed, Method.PREDICTIVE)
    print(f"occupancy={min(r.occupancy for r in predictive):.3f}")
    print(f"abandon_max={max(r.abandon_rate for r in predictive):.4f}")
    print(f"abandon_worst_hour={max(r.worst_hour for r in predictive):.4f}")
    print(f"ratio={min(ratios):.2f}")
    print(f"vicidial_occupancy={min(r.occupancy for r in vicidial):.3f}")
    print(f"vicidial_abandon_max={max(r.abandon_rate for r in vicidial):.4f}")
    print(f"collapse_occupancy={min(r.occupancy for r in after):.3f}")
    print(f"collapse_abandon_max={max(r.abandon_rate for r in after):.4f}")
    talk_min = min(r.talk_per_agent_hour_s for r in predictive) / 60
    abandon = max(r.abandon_rate for r in predictive + after)
    print(f"predictive_talk_per_agent_hour_min={talk_min:.1f} min", end=" ")
    print(f"abandon_max={abandon:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    main(parser.parse_args().seeds)
