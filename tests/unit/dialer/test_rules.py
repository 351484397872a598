"""The dial decision: do-not-call first, then retries and no-redial, then the hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.phone import try_normalise
from dialer.abandonment import UK_RULES, US_RULES
from dialer.hours import CallingHours, DailyWindow
from dialer.rules import (
    Attempt,
    CampaignRules,
    Dial,
    DialRecord,
    Never,
    NeverReason,
    Outcome,
    RetryRule,
    Wait,
    next_dial_decision,
)
from dialer.zones import PREFIX_ZONES, zones_for_number

RULES = CampaignRules(
    hours=CallingHours(default=DailyWindow(start=time(9), end=time(21)))
)
MOSCOW_NUMBER = "+74951234567"
NOON_MOSCOW = datetime(2026, 12, 8, 9, tzinfo=UTC)


def attempts(*pairs: tuple[Outcome, timedelta]) -> tuple[Attempt, ...]:
    """Attempts that ended that long before noon in Moscow."""
    return tuple(Attempt(outcome=o, at=NOON_MOSCOW - ago) for o, ago in pairs)


def decide(record: DialRecord, rules: CampaignRules = RULES) -> object:
    return next_dial_decision(record, NOON_MOSCOW, rules, frozenset())


def test_dial_when_inside_the_window_with_no_attempts() -> None:
    assert decide(DialRecord(number=MOSCOW_NUMBER)) == Dial(number=MOSCOW_NUMBER)


def test_never_when_the_number_is_on_the_do_not_call_list_in_any_form() -> None:
    record = DialRecord(number="8 (495) 123-45-67")
    decision = next_dial_decision(record, NOON_MOSCOW, RULES, {MOSCOW_NUMBER})
    assert decision == Never(reason=NeverReason.DO_NOT_CALL)


def test_never_when_the_number_does_not_read_as_a_phone_number() -> None:
    decision = decide(DialRecord(number="call me"))
    assert isinstance(decision, Never)
    assert decision.reason is NeverReason.INVALID_NUMBER


def test_never_when_no_zone_is_known_for_the_number() -> None:
    decision = decide(DialRecord(number="+999123456789"))
    assert decision == Never(reason=NeverReason.UNKNOWN_ZONE, detail="+999123456789")


def test_wait_for_the_callee_morning_when_it_is_night_there() -> None:
    # Noon in Moscow is 18:00 in Kamchatka... and 04:00 in New York.
    decision = decide(DialRecord(number="+12125551234"))
    assert decision == Wait(until=datetime(2026, 12, 8, 14, tzinfo=UTC))


def test_address_zone_decides_when_the_prefix_spans_all_of_russia() -> None:
    mobile = "+79161234567"
    assert isinstance(decide(DialRecord(number=mobile)), Wait)
    at_home = DialRecord(number=mobile, address_zone="Europe/Moscow")
    assert decide(at_home) == Dial(number=mobile)


def test_wait_for_the_retry_delay_when_the_line_was_busy() -> None:
    record = DialRecord(
        number=MOSCOW_NUMBER, attempts=attempts((Outcome.BUSY, timedelta(minutes=4)))
    )
    assert decide(record) == Wait(until=NOON_MOSCOW + timedelta(minutes=6))


def test_retry_moves_to_the_next_opening_when_the_delay_ends_after_hours() -> None:
    late = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)  # 20:30 in Moscow
    record = DialRecord(
        number=MOSCOW_NUMBER,
        attempts=(Attempt(outcome=Outcome.NO_ANSWER, at=late),),
    )
    decision = next_dial_decision(record, late, RULES, frozenset())
    assert decision == Wait(until=datetime(2026, 12, 9, 6, tzinfo=UTC))


@pytest.mark.parametrize(
    ("history", "reason", "detail"),
    [
        ((Outcome.BUSY,) * 5, NeverReason.ATTEMPTS_EXHAUSTED, "busy"),
        ((Outcome.MACHINE,) * 3, NeverReason.ATTEMPTS_EXHAUSTED, "machine"),
        (
            (Outcome.BUSY, Outcome.NO_ANSWER) * 3,
            NeverReason.ATTEMPTS_EXHAUSTED,
            "all outcomes",
        ),
        ((Outcome.BUSY, Outcome.CONNECTED), NeverReason.CONNECTED, ""),
    ],
)
def test_never_when_the_attempts_are_used_up_or_the_call_connected(
    history: tuple[Outcome, ...], reason: NeverReason, detail: str
) -> None:
    record = DialRecord(
        number=MOSCOW_NUMBER,
        attempts=attempts(
            *((o, timedelta(days=len(history) - i)) for i, o in enumerate(history))
        ),
    )
    assert decide(record) == Never(reason=reason, detail=detail)


def test_never_when_the_outcome_has_no_retry_rule() -> None:
    rules = CampaignRules(
        hours=RULES.hours, retries={Outcome.BUSY: RetryRule(delay_s=60, max_attempts=2)}
    )
    record = DialRecord(
        number=MOSCOW_NUMBER, attempts=attempts((Outcome.FAILED, timedelta(days=1)))
    )
    assert decide(record, rules) == Never(
        reason=NeverReason.ATTEMPTS_EXHAUSTED, detail="failed"
    )


def test_abandoned_number_waits_72_hours_when_the_uk_rules_apply() -> None:
    uk = CampaignRules(hours=RULES.hours, abandonment=UK_RULES)
    history = attempts(
        (Outcome.ABANDONED, timedelta(hours=66)), (Outcome.BUSY, timedelta(hours=2))
    )
    record = DialRecord(number=MOSCOW_NUMBER, attempts=history)
    assert decide(record, uk) == Wait(until=NOON_MOSCOW + timedelta(hours=6))
    assert decide(record, CampaignRules(hours=RULES.hours, abandonment=US_RULES)) == (
        Dial(number=MOSCOW_NUMBER)
    )


def test_latest_attempt_decides_when_the_attempts_come_unordered() -> None:
    history = attempts(
        (Outcome.BUSY, timedelta(minutes=4)), (Outcome.NO_ANSWER, timedelta(days=1))
    )
    record = DialRecord(number=MOSCOW_NUMBER, attempts=history)
    assert decide(record) == Wait(until=NOON_MOSCOW + timedelta(minutes=6))


def test_bad_clock_or_rules_are_rejected_when_given() -> None:
    naive = datetime(2026, 12, 8, 9)  # noqa: DTZ001
    with pytest.raises(ValueError, match="now must be an aware datetime"):
        next_dial_decision(DialRecord(number=MOSCOW_NUMBER), naive, RULES, set())
    with pytest.raises(ValueError, match=r"Attempt\.at must be an aware"):
        Attempt(outcome=Outcome.BUSY, at=naive)
    with pytest.raises(ValueError, match="max_attempts >= 1"):
        RetryRule(delay_s=60, max_attempts=0)
    with pytest.raises(ValueError, match="at least 1"):
        CampaignRules(hours=RULES.hours, max_attempts=0)


# Property: whatever the list says, never a Dial outside the callee's hours in any
# zone the number may be in, and never a Dial to a do-not-call number.

E164_LENGTHS = {"+7": 12, "+1": 12, "+44": 13, "+375": 13, "+380": 13, "+49": 12}


def full_number(prefix: str, tail: str) -> str:
    """The prefix padded with the tail to its country's length."""
    size = next((n for code, n in E164_LENGTHS.items() if prefix.startswith(code)), 13)
    return (prefix + tail)[:size]


numbers = st.one_of(
    st.builds(
        full_number,
        st.sampled_from([*sorted(PREFIX_ZONES), "+999", "+7999"]),
        st.text("0123456789", min_size=11, max_size=11),
    ),
    st.text("0123456789 +()-8", min_size=1, max_size=14),
)
address_zones = st.one_of(
    st.none(),
    st.sampled_from(["Europe/Moscow", "Asia/Kamchatka", "America/Adak", "Nowhere/X"]),
)


def minute(of_day: int) -> time:
    return time(of_day // 60, of_day % 60)


narrow_windows = st.builds(
    lambda a, b: DailyWindow(start=minute(min(a, b)), end=minute(max(a, b) + 1)),
    st.integers(min_value=0, max_value=24 * 60 - 2),
    st.integers(min_value=0, max_value=24 * 60 - 2),
)
# Wide windows let zones hours apart share an opening, so split regions get dialled.
wide_windows = st.builds(
    lambda a, b: DailyWindow(start=minute(a), end=minute(b)),
    st.integers(min_value=0, max_value=8 * 60),
    st.integers(min_value=16 * 60, max_value=24 * 60 - 1),
)
windows = st.one_of(narrow_windows, wide_windows)
calling_hours = st.builds(
    CallingHours,
    default=st.one_of(st.none(), windows),
    weekdays=st.dictionaries(st.integers(0, 6), st.one_of(st.none(), windows)),
)
# Hypothesis wants naive bounds and adds the zone itself.
clock = st.datetimes(
    datetime(2026, 1, 1),  # noqa: DTZ001
    datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
history = st.lists(
    st.tuples(st.sampled_from(Outcome), st.integers(0, 400_000)), max_size=6
)
records = st.lists(
    st.tuples(numbers, address_zones, history, st.booleans()), min_size=1, max_size=8
)


def zones_checked(number: str, address_zone: str | None) -> list[ZoneInfo]:
    if address_zone in available_timezones():
        return [ZoneInfo(address_zone)]
    return [ZoneInfo(name) for name in zones_for_number(number)]


@settings(max_examples=300, deadline=None)
@given(
    rows=records,
    hours=calling_hours,
    now=clock,
    holiday_offsets=st.frozensets(st.integers(min_value=-1, max_value=2)),
    uk=st.booleans(),
)
def test_never_dials_outside_the_hours_or_a_dnc_number_whatever_the_list_says(
    rows: list[tuple[str, str | None, list[tuple[Outcome, int]], bool]],
    hours: CallingHours,
    now: datetime,
    holiday_offsets: frozenset[int],
    uk: bool,
) -> None:
    # Holidays near the clock's date, where they can matter in some zone.
    holidays = frozenset(now.date() + timedelta(days=d) for d in holiday_offsets)
    hours = replace(hours, holidays=holidays)
    rules = CampaignRules(hours=hours, abandonment=UK_RULES if uk else US_RULES)
    dnc = {n for raw, _, _, barred in rows if barred and (n := try_normalise(raw))}
    for raw, address_zone, past, _ in rows:
        record = DialRecord(
            number=raw,
            address_zone=address_zone,
            attempts=tuple(
                Attempt(outcome=o, at=now - timedelta(seconds=ago))
                for o, ago in sorted(past, key=lambda p: -p[1])
            ),
        )
        decision = next_dial_decision(record, now, rules, dnc)
        if isinstance(decision, Wait):
            assert decision.until > now
        if not isinstance(decision, Dial):
            continue
        assert decision.number == try_normalise(raw)
        assert decision.number not in dnc
        zones = zones_checked(decision.number, address_zone)
        assert zones
        for zone in zones:
            local = now.astimezone(zone)
            window = hours.weekdays.get(local.weekday(), hours.default)
            assert local.date() not in hours.holidays
            assert window is not None
            assert window.start <= local.time() < window.end
