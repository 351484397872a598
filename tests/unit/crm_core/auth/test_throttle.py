"""Login throttling decisions with a fake clock: free failures, doubling delays,
fading counts, addresses and logins counted apart, a bounded book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.auth.throttle import (
    LoginThrottle,
    ThrottleRule,
    after_failure,
    delay_s,
    wait_s,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RULE = ThrottleRule(free_failures=3, first_delay_s=1, max_delay_s=60, forgive_s=30)
LOOSE = ThrottleRule(free_failures=100, first_delay_s=1, max_delay_s=60, forgive_s=1)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(1, 0), (3, 0), (4, 1), (5, 2), (6, 4), (9, 32), (10, 60), (500, 60)],
)
def test_delay_doubles_past_the_free_failures_when_they_pile_up(
    failures: int, delay: float
) -> None:
    assert delay_s(failures, RULE) == delay


def test_failures_fade_when_time_passes() -> None:
    strikes = None
    for _ in range(4):
        strikes = after_failure(strikes, T0, RULE)
    assert strikes is not None
    assert wait_s(strikes, T0) == 1
    assert wait_s(strikes, T0 + timedelta(seconds=1)) == 0
    # 60 s later two failures are forgotten: the next one is the third, still free
    later = after_failure(strikes, T0 + timedelta(seconds=60), RULE)
    assert later.failures == 3
    assert wait_s(later, T0 + timedelta(seconds=60)) == 0


def test_account_waits_from_every_address_when_its_login_is_guessed() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(address_rule=LOOSE, account_rule=RULE)
    for n in range(4):
        throttle.failed(address=f"203.0.113.{n}", login="anna", now=clock.now)
    assert throttle.retry_after_s(address="192.0.2.1", login="anna", now=clock.now) == 1
    assert (
        throttle.retry_after_s(address="192.0.2.1", login="boris", now=clock.now) == 0
    )
    assert (
        throttle.retry_after_s(address="192.0.2.1", login=" ANNA ", now=clock.now) == 1
    )
    clock.advance(1)
    assert throttle.retry_after_s(address="192.0.2.1", login="anna", now=clock.now) == 0


def test_address_waits_for_every_login_when_it_guesses_many() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(address_rule=RULE, account_rule=LOOSE)
    for n in range(5):
        throttle.failed(address="203.0.113.9", login=f"user{n}", now=clock.now)
    assert (
        throttle.retry_after_s(address="203.0.113.9", login="new", now=clock.now) == 2
    )
    assert (
        throttle.retry_after_s(address="192.0.2.1", login="user1", now=clock.now) == 0
    )


def test_success_forgives_the_login_but_not_the_address_when_signed_in() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(address_rule=RULE, account_rule=RULE)
    for _ in range(4):
        throttle.failed(address="192.0.2.1", login="anna", now=clock.now)
    clock.advance(1)
    throttle.succeeded(login="anna")
    throttle.failed(address="192.0.2.1", login="anna", now=clock.now)
    waits = throttle.retry_after_s(address="192.0.2.2", login="anna", now=clock.now)
    assert waits == 0  # the login starts again from one failure
    assert throttle.retry_after_s(address="192.0.2.1", login="x", now=clock.now) == 2


def test_unknown_and_known_logins_are_counted_alike_when_they_fail() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(address_rule=LOOSE, account_rule=RULE)
    for login in ("anna", "no-such-user"):
        for _ in range(5):
            throttle.failed(address="192.0.2.1", login=login, now=clock.now)
    known = throttle.retry_after_s(address="192.0.2.9", login="anna", now=clock.now)
    unknown = throttle.retry_after_s(
        address="192.0.2.9", login="no-such-user", now=clock.now
    )
    assert known == unknown == 2


def test_book_stays_bounded_when_flooded_with_new_keys() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(address_rule=RULE, account_rule=RULE, max_keys=10)
    for _ in range(4):
        throttle.failed(address="203.0.113.9", login="anna", now=clock.now)
    clock.advance(120)  # the flood comes later; its keys fade at once
    for n in range(50):
        throttle.failed(address=f"198.51.100.{n}", login=f"u{n}", now=clock.now)
        clock.advance(90)
    assert len(throttle) <= 10
