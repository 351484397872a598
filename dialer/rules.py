"""Whether a call-list record may be dialled now: do-not-call, retries, calling hours.

Pure: the runner asks `next_dial_decision` right before each Originate and gets
Dial, Wait(until) or Never(reason). No clock, no I/O; `now` is an aware datetime.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from crm_core.phone import InvalidPhone, normalise
from dialer.abandonment import US_RULES, AbandonmentRules, may_redial
from dialer.hours import CallingHours, next_open_everywhere
from dialer.zones import callee_zones


class Outcome(StrEnum):
    """How one attempt ended, as far as the retry rules care."""

    CONNECTED = "connected"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    MACHINE = "machine"
    FAILED = "failed"
    ABANDONED = "abandoned"


class NeverReason(StrEnum):
    DO_NOT_CALL = "do_not_call"
    INVALID_NUMBER = "invalid_number"
    UNKNOWN_ZONE = "unknown_zone"
    CONNECTED = "connected"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    NO_CALLING_HOURS = "no_calling_hours"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    outcome: Outcome
    at: datetime
    """Aware; when the attempt ended."""

    def __post_init__(self) -> None:
        _require_aware("Attempt.at", self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class DialRecord:
    """One call-list record as the rules see it.

    `number` as the list holds it (normalised here, so a raw one is checked too);
    `address_zone` is the IANA zone of the customer's address, when known;
    `attempts` are the earlier attempts, in any order.
    """

    number: str
    address_zone: str | None = None
    attempts: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryRule:
    """Try again `delay_s` after this outcome, while fewer than `max_attempts`
    attempts have ended with it."""

    delay_s: float
    max_attempts: int

    def __post_init__(self) -> None:
        if self.delay_s < 0 or self.max_attempts < 1:
            raise ValueError(f"retry needs delay_s >= 0 and max_attempts >= 1: {self}")


DEFAULT_RETRIES: Mapping[Outcome, RetryRule] = MappingProxyType(
    {
        Outcome.BUSY: RetryRule(delay_s=10 * 60, max_attempts=5),
        Outcome.NO_ANSWER: RetryRule(delay_s=60 * 60, max_attempts=4),
        Outcome.MACHINE: RetryRule(delay_s=2 * 60 * 60, max_attempts=3),
        Outcome.FAILED: RetryRule(delay_s=30 * 60, max_attempts=3),
        Outcome.ABANDONED: RetryRule(delay_s=60 * 60, max_attempts=3),
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignRules:
    """A campaign's dialling rules. An outcome missing from `retries` is final;
    `max_attempts` caps all attempts together; `default_country` reads numbers
    written without a country code."""

    hours: CallingHours
    retries: Mapping[Outcome, RetryRule] = field(
        default_factory=lambda: DEFAULT_RETRIES
    )
    max_attempts: int = 6
    abandonment: AbandonmentRules = US_RULES
    default_country: str = "RU"

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"max_attempts must be at least 1, not {self.max_attempts}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Dial:
    number: str
    """E.164, what to Originate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    until: datetime
    """Aware UTC; ask again then."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Never:
    reason: NeverReason
    detail: str = ""


DialDecision = Dial | Wait | Never


def next_dial_decision(
    record: DialRecord,
    now: datetime,
    campaign_rules: CampaignRules,
    dnc: Container[str],
) -> DialDecision:
    """Dial the record now, wait, or never dial it again.

    `dnc` holds E.164 numbers (crm_core.phone.normalise); it is checked first and
    always. Dial is given only inside the calling hours in every zone the callee
    may be in; a number with no known zone is never dialled. ValueError if `now`
    is naive.
    """
    _require_aware("now", now)
    try:
        number = normalise(record.number, campaign_rules.default_country)
    except InvalidPhone as error:
        return Never(reason=NeverReason.INVALID_NUMBER, detail=error.reason)
    if number in dnc:
        return Never(reason=NeverReason.DO_NOT_CALL)
    earliest = earliest_retry(record.attempts, campaign_rules, now=now)
    if isinstance(earliest, Never):
        return earliest
    zones = callee_zones(number, record.address_zone)
    if not zones:
        return Never(reason=NeverReason.UNKNOWN_ZONE, detail=number)
    opening = next_open_everywhere(campaign_rules.hours, zones, earliest)
    if opening is None:
        names = ", ".join(str(z) for z in zones)
        return Never(reason=NeverReason.NO_CALLING_HOURS, detail=names)
    if opening <= now:
        return Dial(number=number)
    return Wait(until=opening.astimezone(UTC))


def earliest_retry(
    attempts: tuple[Attempt, ...], rules: CampaignRules, *, now: datetime
) -> datetime | Never:
    """The first instant the retry and no-redial rules allow another attempt."""
    if not attempts:
        return now
    last = max(attempts, key=lambda a: a.at)
    if last.outcome is Outcome.CONNECTED:
        return Never(reason=NeverReason.CONNECTED)
    rule = rules.retries.get(last.outcome)
    same = sum(1 for a in attempts if a.outcome is last.outcome)
    if rule is None or same >= rule.max_attempts:
        return Never(reason=NeverReason.ATTEMPTS_EXHAUSTED, detail=last.outcome)
    if len(attempts) >= rules.max_attempts:
        return Never(reason=NeverReason.ATTEMPTS_EXHAUSTED, detail="all outcomes")
    earliest = max(now, last.at + timedelta(seconds=rule.delay_s))
    abandoned = [a.at for a in attempts if a.outcome is Outcome.ABANDONED]
    barrier = rules.abandonment.no_redial_after_abandon_s
    if abandoned and barrier is not None:
        last_abandoned = max(abandoned)
        if not may_redial(
            rules.abandonment,
            last_abandoned_at_s=last_abandoned.timestamp(),
            now_s=earliest.timestamp(),
        ):
            earliest = last_abandoned + timedelta(seconds=barrier)
    return earliest


def _require_aware(name: str, moment: datetime) -> None:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not {moment!r}")
