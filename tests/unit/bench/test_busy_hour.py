"""Pieces of bench/busy_hour: the workload is repeatable, the profiler places a
stack by its innermost component, the figures count what was measured."""

from __future__ import annotations

import os
import subprocess
import sys

import acd.model
import telephony.agi
import telephony.calls
from bench.busy_hour import cpu, workload
from bench.busy_hour.figures import figures
from bench.busy_hour.profile import (
    ACD,
    AGI,
    AMI,
    CRM,
    OTHER,
    SOCKETS,
    Ports,
    Profiler,
    component_of,
)


def test_arrivals_are_the_same_callers_at_the_same_seed() -> None:
    first = list(workload.arrivals(5, 600))
    assert first == list(workload.arrivals(5, 600))
    assert first != list(workload.arrivals(6, 600))
    assert 1500 < len(first) < 2500  # 12,000 an hour for 10 minutes


def test_every_queue_and_language_has_agents_when_seats_are_made() -> None:
    seats = [workload.seat(i) for i in range(workload.AGENTS)]
    for queue in workload.QUEUES:
        for menu in workload.MENUS:
            serving = [
                s
                for s in seats
                if queue in s["queues"] and menu.language in s["languages"]
            ]
            assert len(serving) >= 20, (queue, menu.language)


def test_profiler_places_source_files_by_package_and_library() -> None:
    assert component_of(acd.model.__file__) == ACD
    assert component_of(telephony.calls.__file__) == AMI
    assert component_of(telephony.agi.__file__) == AGI
    assert component_of("/venv/site-packages/sqlalchemy/orm/session.py") == CRM
    assert component_of("/venv/site-packages/engineio/async_server.py") == SOCKETS
    assert component_of(__file__) is None


def test_profiler_gives_a_stack_with_no_component_to_loop_other() -> None:
    profiler = Profiler(Ports(ami=1, agi=2, http=3, database=4))
    assert profiler.component(sys._getframe()) == OTHER


def test_service_level_counts_unresolved_calls_as_missed() -> None:
    report = {
        "window": {"measured_s": 60.0},
        "cpu_s": {
            "service": 2.0,
            "service_children": 0.0,
            "postgresql": 1.0,
            "simulator": 1.0,
            "desktops": 1.0,
        },
        "service": {
            "calls": {
                "a": ["answered", 5.0],
                "b": ["answered", 30.0],
                "c": ["abandoned", 40.0],
                "d": ["waiting", -1.0],
            },
            "offers": [["a", "agent001", 10.0], ["b", "agent002", 11.0]],
            "samples": {ACD: 3, OTHER: 1},
            "lag_p99_s": 0.01,
            "backlog": {"Desktops.handle": 3, "CrmSinks.on_ivr_completed": 7},
        },
        "desktops": {"pops": {"agent001": [["a", 10.5]], "agent002": []}},
        "callers": {"late_p99_s": 0.0},
        "recorded": 1,
    }
    result = figures(10.0, report)
    assert (result.offered, result.answered, result.abandoned, result.unresolved) == (
        4,
        2,
        1,
        1,
    )
    assert result.service_level == 0.25
    assert result.pops_delivered == 0.5
    assert result.recorded == 0.5
    assert result.backlog == ("CrmSinks.on_ivr_completed", 7)
    assert result.shortfalls(result) == ["pops", "recordings"]
    assert result.cpu_s_per_hour[ACD] == 2.0 * 0.75 * 60


def test_cpu_of_a_process_tree_keeps_what_an_ended_child_used() -> None:
    before = cpu.tree_cpu_s(os.getpid())
    subprocess.run(
        [sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True
    )
    assert cpu.tree_cpu_s(os.getpid()) - before >= 0.05
