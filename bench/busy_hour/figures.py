"""The figures of one run, from what its processes reported. Pure."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from bench.busy_hour.control import p99
from bench.busy_hour.profile import ACD, AGI, AMI, CRM, OTHER, RECORDINGS, SOCKETS
from bench.busy_hour.workload import SERVICE_LEVEL_S

MAX_LAG_S = 0.1
MAX_SL_DROP = 0.01
MIN_DONE = 0.99
SERVICE_COMPONENTS = (AMI, AGI, ACD, CRM, SOCKETS, RECORDINGS, OTHER)
"""What the service costs (with its TTS worker and the PostgreSQL server)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    speed: float
    offered: int
    """Calls queued in the measured window."""
    answered: int
    abandoned: int
    unresolved: int
    """Still waiting (or gone another way) when the run ended."""
    service_level: float
    asa_s: float
    lag_p99_s: float
    pops_delivered: float
    """Share of the window's offers whose agent received the screen-pop."""
    pop_delay_p99_s: float
    recorded: float
    """Share of the window's answered calls whose recording file the PBX was
    writing by the end of the run."""
    callers_late_p99_s: float
    backlog: tuple[str, int]
    """The bus subscriber whose mailbox got deepest in the window (or the journal
    of call records waiting for the database), and how deep."""
    """How late the simulator placed callers (it must keep up for a fair run)."""
    cpu_s_per_hour: dict[str, float]
    """CPU seconds per simulated hour by component (see `cpu_by_component`)."""

    @property
    def service_cpu_s_per_hour(self) -> float:
        return sum(self.cpu_s_per_hour.get(name, 0.0) for name in SERVICE_COMPONENTS)

    @property
    def abandonment(self) -> float:
        return self.abandoned / self.offered if self.offered else 0.0

    def kept_up(self, baseline: Figures) -> bool:
        return not self.shortfalls(baseline)

    def shortfalls(self, baseline: Figures) -> list[str]:
        """Why this run did not keep up, if it did not: its service level more than
        a point below the 1x run's, loop lag p99 at 100 ms or more, or a part that
        fell behind (fewer than 99 % of the offers popped on the agent's desktop,
        or of the answered calls recorded, by the end of the run)."""
        found = []
        if baseline.service_level - self.service_level > MAX_SL_DROP:
            found.append("service_level")
        if self.lag_p99_s >= MAX_LAG_S:
            found.append("lag")
        if self.pops_delivered < MIN_DONE:
            found.append("pops")
        if self.recorded < MIN_DONE:
            found.append("recordings")
        return found


def figures(speed: float, report: dict[str, Any]) -> Figures:
    service = report["service"]
    calls: dict[str, list[Any]] = service["calls"]
    waits = [wait for kind, wait in calls.values() if kind == "answered"]
    abandoned = sum(1 for kind, _ in calls.values() if kind == "abandoned")
    offered = len(calls)
    delivered, delays = _pops(service["offers"], report["desktops"]["pops"])
    return Figures(
        speed=speed,
        offered=offered,
        answered=len(waits),
        abandoned=abandoned,
        unresolved=offered - len(waits) - abandoned,
        service_level=(
            sum(1 for w in waits if w <= SERVICE_LEVEL_S) / offered if offered else 0.0
        ),
        asa_s=statistics.fmean(waits) if waits else 0.0,
        lag_p99_s=service["lag_p99_s"],
        pops_delivered=delivered,
        pop_delay_p99_s=p99(delays),
        recorded=report["recorded"] / len(waits) if waits else 0.0,
        callers_late_p99_s=report["callers"]["late_p99_s"],
        backlog=max(service["backlog"].items(), key=lambda i: i[1], default=("", 0)),
        cpu_s_per_hour=cpu_by_component(report),
    )


def _pops(
    offers: list[list[Any]], pops: dict[str, list[list[Any]]]
) -> tuple[float, list[float]]:
    """The share of `offers` (call, agent, sent at) whose agent got the pop, and
    how long each took (epoch seconds on one machine)."""
    received = {
        (call, agent): at for agent, theirs in pops.items() for call, at in theirs
    }
    delays = [
        received[(call, agent)] - sent
        for call, agent, sent in offers
        if (call, agent) in received
    ]
    return (len(delays) / len(offers) if offers else 0.0), delays


def cpu_by_component(report: dict[str, Any]) -> dict[str, float]:
    """CPU seconds per simulated hour: the service process's split by its profile
    samples; the TTS worker (the service's child) counts to the IVR and the
    PostgreSQL server to the CRM; the simulator and the desktops are their
    processes."""
    cpu_s = report["cpu_s"]
    per_hour = 3600 / report["window"]["measured_s"]
    samples: dict[str, int] = report["service"]["samples"]
    total = sum(samples.values())
    split = {name: cpu_s["service"] * n / total for name, n in samples.items() if total}
    split[AGI] = split.get(AGI, 0.0) + cpu_s["service_children"]
    split[CRM] = split.get(CRM, 0.0) + cpu_s["postgresql"]
    split["simulator"] = cpu_s["simulator"]
    split["desktops (clients)"] = cpu_s["desktops"]
    split["PostgreSQL server (in CRM)"] = cpu_s["postgresql"]
    return {name: seconds * per_hour for name, seconds in split.items()}
