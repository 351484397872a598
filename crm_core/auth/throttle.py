"""Login throttling: failed sign-ins slow down their source address and the login
they named, with delays that double as failures pile up and fade as time passes.

Pure: no I/O and no clock (callers pass `now`). Nothing is ever locked for good,
so a stranger cannot lock an agent out: one address is slowed long before it can
slow an account, and an account's delay is capped at a couple of minutes. A login
that does not exist is throttled exactly like one that does (no enumeration).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleRule:
    free_failures: int
    """Failures allowed before any delay (typing mistakes)."""
    first_delay_s: float
    """The delay after the first failure past the free ones; each next one doubles."""
    max_delay_s: float
    forgive_s: float
    """One failure is forgotten per this many seconds."""


ADDRESS_RULE = ThrottleRule(
    free_failures=20, first_delay_s=1.0, max_delay_s=900.0, forgive_s=30.0
)
"""Per source address: generous, as a whole office may sign in through one NAT
address at shift start, but a guesser from one address soon waits 15 minutes."""
ACCOUNT_RULE = ThrottleRule(
    free_failures=5, first_delay_s=1.0, max_delay_s=120.0, forgive_s=60.0
)
"""Per login: slows guessing from many addresses, never locks the owner out for
more than two minutes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Strikes:
    """Failures counted against one key."""

    failures: float
    at: datetime
    """When `failures` was counted (it fades from there)."""
    blocked_until: datetime | None = None


def faded(strikes: Strikes, now: datetime, rule: ThrottleRule) -> float:
    """The failures still counted at `now`."""
    elapsed = max(0.0, (now - strikes.at).total_seconds())
    return max(0.0, strikes.failures - elapsed / rule.forgive_s)


def wait_s(strikes: Strikes | None, now: datetime) -> float:
    """Seconds before the key may try again (0: now)."""
    if strikes is None or strikes.blocked_until is None:
        return 0.0
    return max(0.0, (strikes.blocked_until - now).total_seconds())


def delay_s(failures: float, rule: ThrottleRule) -> float:
    """The wait imposed after `failures` failures (0 while they are free)."""
    over = math.ceil(failures - rule.free_failures)
    if over <= 0:
        return 0.0
    return min(rule.max_delay_s, rule.first_delay_s * 2.0 ** min(over - 1, 60))


def after_failure(
    strikes: Strikes | None, now: datetime, rule: ThrottleRule
) -> Strikes:
    """Count one more failure at `now`; past the free ones it blocks for a while."""
    failures = 1.0 + (0.0 if strikes is None else faded(strikes, now, rule))
    pause = delay_s(failures, rule)
    blocked = now + timedelta(seconds=pause) if pause else None
    return Strikes(failures=failures, at=now, blocked_until=blocked)


def forgotten(strikes: Strikes, now: datetime, rule: ThrottleRule) -> bool:
    """Whether nothing is left to remember (no failures, no block)."""
    return faded(strikes, now, rule) == 0 and wait_s(strikes, now) == 0


def account_key(login: str) -> str:
    """The same key for every spelling the login lookup treats alike."""
    return login.strip().casefold()


class LoginThrottle:
    """The strikes of every address and login, in memory and bounded: past
    `max_keys`, keys with nothing left to remember go, then the oldest. Each
    instance counts its own logins (several instances behind a balancer each
    allow the free failures). Not thread-safe; one per event loop."""

    def __init__(
        self,
        *,
        address_rule: ThrottleRule = ADDRESS_RULE,
        account_rule: ThrottleRule = ACCOUNT_RULE,
        max_keys: int = 50_000,
    ) -> None:
        self._rules = {"address": address_rule, "account": account_rule}
        self._book: OrderedDict[tuple[str, str], Strikes] = OrderedDict()
        self._max_keys = max_keys

    def retry_after_s(self, *, address: str, login: str, now: datetime) -> float:
        """How long this attempt must wait (0: it may go ahead)."""
        return max(wait_s(self._book.get(key), now) for key in _keys(address, login))

    def failed(self, *, address: str, login: str, now: datetime) -> None:
        for key in _keys(address, login):
            strikes = after_failure(self._book.get(key), now, self._rules[key[0]])
            self._put(key, strikes, now)

    def succeeded(self, *, login: str) -> None:
        """The login's owner proved themselves; the address keeps its count (its
        other users' failures are not forgiven by one success)."""
        self._book.pop(("account", account_key(login)), None)

    def __len__(self) -> int:
        return len(self._book)

    def _put(self, key: tuple[str, str], strikes: Strikes, now: datetime) -> None:
        self._book[key] = strikes
        self._book.move_to_end(key)
        if len(self._book) > self._max_keys:
            self.prune(now)
        while len(self._book) > self._max_keys:
            self._book.popitem(last=False)

    def prune(self, now: datetime) -> int:
        """Drop keys with nothing left to remember; how many went."""
        stale = [
            key
            for key, strikes in self._book.items()
            if forgotten(strikes, now, self._rules[key[0]])
        ]
        for key in stale:
            del self._book[key]
        return len(stale)


def _keys(address: str, login: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("address", address), ("account", account_key(login))
