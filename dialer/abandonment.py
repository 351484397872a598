"""Abandoned-call rule sets (US TSR, UK Ofcom) as data, and the figures they define.

Pure: no clock, no I/O. Times are seconds on any one monotonic scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

DAY_S = 86_400.0
HOUR_S = 3_600.0


class RuleSetName(StrEnum):
    US = "us"
    UK = "uk"


@dataclass(frozen=True, slots=True, kw_only=True)
class AbandonmentRules:
    """What makes an answered call abandoned and how the rate is measured.

    `connect_within_s`: a person must reach an agent (or, in the UK, the information
    message) this soon after their greeting, else the call is abandoned.
    `window_s`: the rolling period the rate is measured over, per campaign.
    `misdetected_machines_count`: a person the answering-machine detection took for
    a machine counts as abandoned (the UK rule; the US one counts only live calls
    left without an agent). `no_redial_after_abandon_s`: an abandoned number is not
    called again this soon (UK: 72 h). `min_ring_s`: an unanswered call rings at
    least this long before it is given up (US: 15 s).
    """

    name: RuleSetName
    limit: float = 0.03
    connect_within_s: float = 2.0
    window_s: float
    misdetected_machines_count: bool
    no_redial_after_abandon_s: float | None
    min_ring_s: float | None
    message_required: bool = True


US_RULES = AbandonmentRules(
    name=RuleSetName.US,
    window_s=30 * DAY_S,
    misdetected_machines_count=False,
    no_redial_after_abandon_s=None,
    min_ring_s=15.0,
)
UK_RULES = AbandonmentRules(
    name=RuleSetName.UK,
    window_s=DAY_S,
    misdetected_machines_count=True,
    no_redial_after_abandon_s=72 * HOUR_S,
    min_ring_s=None,
)
RULE_SETS = {rules.name: rules for rules in (US_RULES, UK_RULES)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonAnswer:
    """A call a person answered, as the abandonment rules see it.

    `agent_after_s` is the time from the greeting to an agent (None: none came);
    `taken_for_machine` says the detection classified the person as a machine.
    """

    at_s: float
    agent_after_s: float | None
    taken_for_machine: bool = False


def is_abandoned(rules: AbandonmentRules, answer: PersonAnswer) -> bool:
    if answer.taken_for_machine:
        return rules.misdetected_machines_count
    return answer.agent_after_s is None or answer.agent_after_s > rules.connect_within_s


def may_redial(
    rules: AbandonmentRules, *, last_abandoned_at_s: float | None, now_s: float
) -> bool:
    """Whether a number whose last call was abandoned at that time may be dialled."""
    if last_abandoned_at_s is None or rules.no_redial_after_abandon_s is None:
        return True
    return now_s - last_abandoned_at_s >= rules.no_redial_after_abandon_s


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowTally:
    """Persons answered and calls abandoned over the measuring window."""

    answered: int
    abandoned: int

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0


def tally(
    rules: AbandonmentRules, answers: Sequence[PersonAnswer], *, now_s: float
) -> WindowTally:
    """Abandoned over answered by a person, over the rules' window ending now."""
    recent = [a for a in answers if now_s - rules.window_s < a.at_s <= now_s]
    return WindowTally(
        answered=len(recent),
        abandoned=sum(1 for a in recent if is_abandoned(rules, a)),
    )


def worst_rolling_rate(
    answers: Sequence[tuple[float, bool]], *, window_s: float = HOUR_S
) -> float:
    """The highest abandonment rate over any window of that length.

    `answers` are (answered at, abandoned) in time order. Windows end at each answer
    from one window's length after the first answer on (a shorter day is measured
    whole), so the first minutes' handful of calls cannot decide the figure alone.
    """
    if not answers:
        return 0.0
    first = answers[0][0]
    worst, start, dropped = 0.0, 0, 0
    for end, (at_s, abandoned) in enumerate(answers):
        dropped += abandoned
        while answers[start][0] <= at_s - window_s:
            dropped -= answers[start][1]
            start += 1
        if at_s - first >= window_s or end == len(answers) - 1:
            worst = max(worst, dropped / (end - start + 1))
    return worst
