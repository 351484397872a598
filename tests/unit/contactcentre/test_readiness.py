"""Readiness checks: plain or async, a failing or slow one is an answer (not ready,
with its reason), names are unique, figures are kept."""

from __future__ import annotations

import asyncio

import pytest

from contactcentre.readiness import Probe, Readiness


async def _slow() -> Probe:
    await asyncio.Event().wait()
    return Probe(ready=True)


def _broken() -> Probe:
    raise RuntimeError("disk on fire")


async def test_each_check_answers_by_name_when_some_fail_or_hang() -> None:
    readiness = Readiness(timeout_s=0.05)
    readiness.add("plain", lambda: Probe(ready=True, figures={"backlog": 3}))
    readiness.add("slow", _slow)
    readiness.add("broken", _broken)
    report = await readiness.report()
    assert list(report) == ["plain", "slow", "broken"]
    assert report["plain"] == Probe(ready=True, figures={"backlog": 3})
    assert report["slow"] == Probe(ready=False, reason="no answer in 0.05 s")
    assert report["broken"] == Probe(ready=False, reason="RuntimeError: disk on fire")


def test_a_name_is_refused_when_it_is_taken() -> None:
    readiness = Readiness()
    readiness.add("database", lambda: Probe(ready=True))
    with pytest.raises(ValueError, match="database"):
        readiness.add("database", lambda: Probe(ready=False))
