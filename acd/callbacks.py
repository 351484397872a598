"""Callbacks the ACD owes: the number to dial, how many tries were made, and whether
the customer's leg answered. Plain values and pure checks; `acd.dialing` acts."""

from __future__ import annotations

from dataclasses import dataclass

from acd.model import QueueConfig
from telephony.model import Call


@dataclass(slots=True)
class Callback:
    """A caller waiting to be called back on `number`."""

    number: str
    attempts: int = 0
    """Tries that failed so far."""
    reached: bool = False
    """The customer's leg of the current try answered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryRule:
    attempts: int
    """Tries in all, the first included."""
    retry_s: float
    """Clock seconds between two tries."""


def rule_for(config: QueueConfig | None, *, attempts: int, retry_s: float) -> RetryRule:
    """The queue's own rule where it has one, else the ACD's."""
    if config is None:
        return RetryRule(attempts=attempts, retry_s=retry_s)
    return RetryRule(
        attempts=config.callback_attempts or attempts,
        retry_s=config.callback_retry_s if config.callback_retry_s else retry_s,
    )


def customer_answered(call: Call, *, endpoint: str) -> bool:
    """Whether a leg of the callback's call other than the agent's own answered:
    the agent's `Local/<endpoint>@cc-agent` halves and their phone do not count."""
    own = (f"Local/{endpoint}@", f"PJSIP/{endpoint}-")
    return any(
        leg.answered_at is not None and not leg.channel.startswith(own)
        for leg in call.legs
    )
