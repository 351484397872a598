"""The back-off grows exponentially, stops at the cap and spreads retries."""

from __future__ import annotations

import itertools

import pytest

from telephony.backoff import Backoff


def test_delay_doubles_when_attempts_fail_in_a_row() -> None:
    backoff = Backoff(initial_s=0.5, factor=2, cap_s=100, jitter=0)
    delays = [backoff.delay_s(n) for n in range(5)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_delay_stops_at_cap_when_attempts_are_many() -> None:
    backoff = Backoff(initial_s=1, factor=3, cap_s=30, jitter=0)
    assert backoff.delay_s(3) == 27
    assert backoff.delay_s(4) == 30
    assert backoff.delay_s(10_000) == 30


@pytest.mark.parametrize("rand", [0.0, 0.25, 0.999999])
def test_jitter_stays_within_the_fraction_when_random_varies(rand: float) -> None:
    backoff = Backoff(initial_s=2, factor=2, cap_s=60, jitter=0.5)
    delay = backoff.delay_s(2, rand=lambda: rand)
    assert 4.0 <= delay <= 8.0
    assert delay == pytest.approx(8.0 * (1 - 0.5 * rand))


def test_jitter_spreads_clients_when_they_retry_together() -> None:
    backoff = Backoff(initial_s=1, cap_s=10, jitter=0.5)
    delays = {round(backoff.delay_s(3), 6) for _ in range(50)}
    assert len(delays) > 10
    assert all(4.0 <= d <= 8.0 for d in delays)


def test_delays_series_follows_attempts_when_iterated() -> None:
    backoff = Backoff(initial_s=1, factor=2, cap_s=4, jitter=0)
    assert list(itertools.islice(backoff.delays(), 5)) == [1, 2, 4, 4, 4]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_s": 0},
        {"initial_s": 5, "cap_s": 1},
        {"factor": 0.5},
        {"jitter": 1.5},
    ],
)
def test_construction_fails_when_parameters_are_nonsense(
    kwargs: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match="need"):
        Backoff(**kwargs)
