"""One jittered, capped exponential back-off for every reconnect and wait-for-ready
(AMI, Redis, the database). Pure arithmetic: the caller sleeps."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Attempt n waits `min(cap_s, initial_s * factor**n)` scaled down by up to
    `jitter` (a fraction), so that many clients cut off together do not all come
    back in the same instant."""

    initial_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial_s <= 0 or self.cap_s < self.initial_s:
            raise ValueError("need 0 < initial_s <= cap_s")
        if self.factor < 1 or not 0 <= self.jitter <= 1:
            raise ValueError("need factor >= 1 and 0 <= jitter <= 1")

    def ceiling_s(self, attempt: int) -> float:
        """The delay before jitter for attempt `attempt` (0 is the first retry)."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        # Past the cap the power only grows; stop before it overflows a float.
        ceiling = self.initial_s
        for _ in range(attempt):
            ceiling *= self.factor
            if ceiling >= self.cap_s:
                return self.cap_s
        return min(ceiling, self.cap_s)

    def delay_s(
        self, attempt: int, *, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait before attempt `attempt`; `rand` returns [0, 1)."""
        ceiling = self.ceiling_s(attempt)
        return ceiling * (1.0 - self.jitter * rand())

    def delays(self, *, rand: Callable[[], float] = random.random) -> Iterator[float]:
        """An endless series of delays, one per attempt."""
        attempt = 0
        while True:
            yield self.delay_s(attempt, rand=rand)
            attempt += 1
