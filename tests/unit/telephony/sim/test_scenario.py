"""The scenario engine's draws depend only on the seed."""

from __future__ import annotations

from telephony.sim.model import SimConfig
from telephony.sim.simulator import Simulator


def test_same_callers_when_seed_is_the_same() -> None:
    one = Simulator(SimConfig(seed=5))
    two = Simulator(SimConfig(seed=5))
    other = Simulator(SimConfig(seed=6))
    first = [one.random_caller() for _ in range(10)]
    assert first == [two.random_caller() for _ in range(10)]
    assert first != [other.random_caller() for _ in range(10)]
