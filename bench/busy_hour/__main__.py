"""`python -m bench.busy_hour`: see the package's docstring."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
import tempfile
import time
from pathlib import Path

import bench.busy_hour
from bench.busy_hour.figures import Figures, figures
from bench.busy_hour.run import Plan, run_at
from bench.busy_hour.template import prepare
from tests import servers

LADDER = (2.0, 4.0, 8.0, 16.0, 32.0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=bench.busy_hour.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--speeds", type=_speeds, default=LADDER)
    parser.add_argument("--warmup", type=float, default=3.0, help="simulated min")
    parser.add_argument("--minutes", type=float, default=3.0, help="measured, sim")
    parser.add_argument("--tail", type=float, default=0.5, help="simulated min")
    parser.add_argument("--refine", type=int, default=1, help="bisection steps")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--logs", type=Path, help="keep each run's logs here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    _load("before")
    with servers.postgres() as pg, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        desks = asyncio.run(prepare(pg, Path(tmp)))
        print(f"setup_s={time.monotonic() - started:.0f}", flush=True)
        plan = Plan(
            pg=pg,
            work=Path(tmp),
            desks=desks,
            warmup_s=args.warmup * 60,
            measured_s=args.minutes * 60,
            tail_s=args.tail * 60,
            seed=args.seed,
            logs=args.logs,
        )
        tried = asyncio.run(search(plan, args.speeds, refine=args.refine))
    _load("after")
    best = _best(tried)
    if best is not None:
        _components(best)
    print(f"time_compression={best.speed if best else 0:g} x")


async def search(
    plan: Plan, ladder: tuple[float, ...], *, refine: int
) -> list[Figures]:
    """The 1x baseline, the ladder until a speed falls behind, then bisection.
    SIGTERM and SIGINT end it cleanly (processes, databases, files)."""
    this = asyncio.current_task()
    assert this is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, this.cancel)
    baseline = await _measured(plan, 1.0, [])
    tried = [baseline]
    good, bad = 1.0, None
    for speed in ladder:
        if (await _measured(plan, speed, tried)).kept_up(baseline):
            good = speed
        else:
            bad = speed
            break
    for _ in range(refine):
        if bad is None or not good < round(math.sqrt(good * bad), 1) < bad:
            break
        middle = round(math.sqrt(good * bad), 1)
        if (await _measured(plan, middle, tried)).kept_up(baseline):
            good = middle
        else:
            bad = middle
    return tried


async def _measured(plan: Plan, speed: float, tried: list[Figures]) -> Figures:
    started = time.monotonic()
    result = figures(speed, await run_at(plan, speed, len(tried)))
    tried.append(result)
    baseline = tried[0]
    print(
        f"speed={speed:g} offered={result.offered} answered={result.answered} "
        f"abandoned={result.abandoned} unresolved={result.unresolved} "
        f"service_level={result.service_level:.3f} asa_s={result.asa_s:.1f} "
        f"abandonment={result.abandonment:.3f} "
        f"lag_p99_ms={result.lag_p99_s * 1000:.0f} "
        f"pops_delivered={result.pops_delivered:.3f} "
        f"pop_delay_p99_ms={result.pop_delay_p99_s * 1000:.0f} "
        f"recorded={result.recorded:.3f} "
        f"callers_late_p99_ms={result.callers_late_p99_s * 1000:.0f} "
        f"deepest_mailbox={result.backlog[0]}:{result.backlog[1]} "
        f"service_cpu_s_per_sim_hour={result.service_cpu_s_per_hour:.0f} "
        f"kept_up={_verdict(result.shortfalls(baseline))} "
        f"wall_s={time.monotonic() - started:.0f}",
        flush=True,
    )
    return result


def _verdict(shortfalls: list[str]) -> str:
    return f"no({','.join(shortfalls)})" if shortfalls else "yes"


def _best(tried: list[Figures]) -> Figures | None:
    kept = [f for f in tried if f.kept_up(tried[0])]
    return max(kept, key=lambda f: f.speed, default=None)


def _components(best: Figures) -> None:
    print(f"cpu_s_per_simulated_hour at speed {best.speed:g}, by component:")
    for name, seconds in sorted(best.cpu_s_per_hour.items(), key=lambda i: -i[1]):
        print(f"  {name}={seconds:.0f} s")


def _load(when: str) -> None:
    one, five, fifteen = os.getloadavg()
    print(f"load_{when}={one:.2f},{five:.2f},{fifteen:.2f} cores={os.cpu_count()}")


def _speeds(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(","))


if __name__ == "__main__":
    main()
