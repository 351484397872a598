"""The US and UK abandoned-call rules and the figures measured with them."""

from __future__ import annotations

import pytest

from dialer.abandonment import (
    DAY_S,
    HOUR_S,
    UK_RULES,
    US_RULES,
    AbandonmentRules,
    PersonAnswer,
    is_abandoned,
    may_redial,
    tally,
    worst_rolling_rate,
)


@pytest.mark.parametrize(
    ("rules", "answer", "abandoned"),
    [
        (US_RULES, PersonAnswer(at_s=0, agent_after_s=1.9), False),
        (US_RULES, PersonAnswer(at_s=0, agent_after_s=2.0), False),
        (US_RULES, PersonAnswer(at_s=0, agent_after_s=2.1), True),
        (US_RULES, PersonAnswer(at_s=0, agent_after_s=None), True),
        (
            US_RULES,
            PersonAnswer(at_s=0, agent_after_s=None, taken_for_machine=True),
            False,
        ),
        (
            UK_RULES,
            PersonAnswer(at_s=0, agent_after_s=None, taken_for_machine=True),
            True,
        ),
        (UK_RULES, PersonAnswer(at_s=0, agent_after_s=0.5), False),
        (UK_RULES, PersonAnswer(at_s=0, agent_after_s=3.0), True),
    ],
)
def test_abandoned_when_no_agent_within_2_s_or_a_uk_misdetection(
    rules: AbandonmentRules, answer: PersonAnswer, abandoned: bool
) -> None:
    assert is_abandoned(rules, answer) is abandoned


def test_rule_sets_measure_over_30_days_us_and_24_hours_uk() -> None:
    assert US_RULES.window_s == 30 * DAY_S
    assert UK_RULES.window_s == DAY_S
    assert US_RULES.min_ring_s == 15.0
    assert US_RULES.limit == UK_RULES.limit == 0.03


def test_uk_abandoned_number_is_not_redialled_within_72_hours() -> None:
    abandoned_at = 1000.0
    assert not may_redial(
        UK_RULES, last_abandoned_at_s=abandoned_at, now_s=abandoned_at + 71.9 * HOUR_S
    )
    assert may_redial(
        UK_RULES, last_abandoned_at_s=abandoned_at, now_s=abandoned_at + 72 * HOUR_S
    )
    assert may_redial(UK_RULES, last_abandoned_at_s=None, now_s=abandoned_at)


def test_us_rules_let_an_abandoned_number_be_redialled_at_once() -> None:
    assert may_redial(US_RULES, last_abandoned_at_s=10.0, now_s=11.0)


def test_tally_counts_only_answers_inside_the_window() -> None:
    now = 40 * DAY_S
    answers = [
        PersonAnswer(at_s=now - 31 * DAY_S, agent_after_s=None),
        PersonAnswer(at_s=now - 2 * DAY_S, agent_after_s=None),
        PersonAnswer(at_s=now - HOUR_S, agent_after_s=0.1),
        PersonAnswer(at_s=now - 60, agent_after_s=None, taken_for_machine=True),
    ]
    us = tally(US_RULES, answers, now_s=now)
    uk = tally(UK_RULES, answers, now_s=now)
    assert (us.answered, us.abandoned) == (3, 1)
    assert (uk.answered, uk.abandoned) == (2, 1)
    assert uk.rate == 0.5


def test_worst_rolling_hour_finds_the_bad_hour_when_the_day_is_good() -> None:
    good = [(float(t), False) for t in range(0, 7200, 60)]
    bad = [(7200.0 + t, t % 600 == 0) for t in range(0, 3600, 60)]
    later = [(10_800.0 + t, False) for t in range(0, 7200, 60)]
    answers = good + bad + later
    # 6 abandoned among the 60 answers of the third hour
    assert worst_rolling_rate(answers) == pytest.approx(6 / 60)
    assert sum(a for _, a in answers) / len(answers) < 0.03


def test_worst_rolling_rate_of_a_short_day_is_the_whole_day() -> None:
    answers = [(0.0, True), (10.0, False), (20.0, False), (30.0, False)]
    assert worst_rolling_rate(answers) == 0.25
    assert worst_rolling_rate([]) == 0.0
