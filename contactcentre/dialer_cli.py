"""`contactcentre dialer simulate`: a campaign day under each pacing method, compared.

Reads only its options (no settings, no database); the table goes to standard
output, the progress bar to standard error.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any, TextIO

from dialer.abandonment import RULE_SETS, RuleSetName
from dialer.pacing import PredictiveSettings
from dialer.scenario import Scenario
from dialer.simulate import DayResult, Method, compare
from dialer.vicidial import AdaptSettings

BAR_WIDTH = 30


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    dialer = commands.add_parser(
        "dialer", help="outbound dialer tools (`dialer simulate`)"
    )
    actions = dialer.add_subparsers(dest="action", required=True, metavar="ACTION")
    simulate = actions.add_parser(
        "simulate",
        help="simulate a campaign day under predictive, progressive, fixed-ratio "
        "and VICIdial ADAPT_TAPERED pacing, on the same random draws",
        description="A discrete-event simulation of one working day of a campaign, "
        "paced by the product's own pacing code. Every method dials the same "
        "sequence of numbers (common random numbers per call attempt). Defaults "
        "are the standard scenario.",
    )
    defaults = Scenario()
    for flag, field, kind, text in _OPTIONS:
        simulate.add_argument(
            flag, dest=field, type=kind, default=getattr(defaults, field), help=text
        )
    simulate.add_argument("--seed", type=int, default=1, help="the draws' seed")
    _add_rule_options(simulate)


def _add_rule_options(simulate: argparse.ArgumentParser) -> None:
    simulate.add_argument(
        "--rules",
        choices=[name.value for name in RuleSetName],
        default=RuleSetName.US.value,
        help="abandonment rules: us (2 s, live calls) or uk (also AMD misdetections)",
    )
    simulate.add_argument(
        "--limit", type=float, default=0.03, help="the abandonment limit (fraction)"
    )
    simulate.add_argument(
        "--intensity",
        type=float,
        default=0.0,
        help="ADAPT_TAPERED's adaptive intensity (-40..40)",
    )
    simulate.add_argument(
        "--collapse-at-hour",
        dest="collapse_at_h",
        type=float,
        default=None,
        help="the hour the person answer rate collapses (scenario: rate drops mid-day)",
    )


_OPTIONS: tuple[tuple[str, str, type, str], ...] = (
    ("--agents", "agents", int, "agents logged in all day"),
    ("--hours", "hours", float, "length of the working day"),
    ("--person-rate", "person_rate", float, "share of dials a person answers"),
    ("--machine-rate", "machine_rate", float, "share an answering machine answers"),
    ("--busy-rate", "busy_rate", float, "share that are busy"),
    ("--busy-after", "busy_after_s", float, "seconds until busy is known"),
    ("--no-answer-after", "no_answer_after_s", float, "seconds before giving up"),
    ("--ring-min", "ring_min_s", float, "shortest ring before an answer (s)"),
    ("--ring-max", "ring_max_s", float, "longest ring before an answer (s)"),
    ("--amd-seconds", "amd_s", float, "answering-machine detection time (s)"),
    ("--amd-accuracy", "amd_accuracy", float, "share the detection gets right"),
    ("--talk-mean", "talk_mean_s", float, "mean talk time (s), log-normal"),
    ("--talk-sigma", "talk_sigma", float, "sigma of the talk time's log"),
    ("--wrap-up", "wrap_up_s", float, "wrap-up after each call (s)"),
    ("--ratio", "ratio", float, "the fixed-ratio dialler's lines per agent"),
    (
        "--collapse-person-rate",
        "collapse_person_rate",
        float,
        "the person answer rate after the collapse",
    ),
)


def scenario_from(args: argparse.Namespace) -> Scenario:
    """The scenario the options describe; ValueError names every bad option."""
    rules = replace(RULE_SETS[RuleSetName(args.rules)], limit=args.limit)
    fields = {field: getattr(args, field) for _, field, _, _ in _OPTIONS}
    return Scenario(
        **fields,
        collapse_at_h=args.collapse_at_h,
        rules=rules,
        predictive=PredictiveSettings(limit=args.limit),
        adapt=AdaptSettings(
            dropped_percentage=args.limit * 100, intensity=args.intensity
        ),
    )


def run(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    try:
        scenario = scenario_from(args)
    except ValueError as exc:
        err.write(f"contactcentre dialer simulate: {exc}\n")
        return 2
    results = compare(scenario, seed=args.seed, progress=ProgressBar(err))
    err.write("\n")
    out.write(format_table(scenario, results))
    return 0


class ProgressBar:
    """A one-line bar redrawn in place, only when the whole percent changes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = -1

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        if percent == self._shown:
            return
        self._shown = percent
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self._stream.write(f"\rsimulating [{bar}] {percent:3d}%")
        self._stream.flush()


def format_table(scenario: Scenario, results: list[DayResult]) -> str:
    head = (
        f"{scenario.agents} agents, {scenario.hours:g} h, {scenario.rules.name.upper()}"
        f" rules, limit {scenario.rules.limit:.1%}\n"
        f"{'method':<14} {'occupancy':>9} {'talk min/agent-h':>16} "
        f"{'abandoned day':>13} {'worst hour':>10} {'dials/h':>8} {'connects/h':>10}\n"
    )
    rows = "".join(
        f"{r.method.value:<14} {r.occupancy:>9.1%} "
        f"{r.talk_per_agent_hour_s / 60:>16.1f} {r.abandon_rate:>13.2%} "
        f"{r.worst_hour:>10.2%} {r.dials_per_hour:>8.0f} {r.connects_per_hour:>10.0f}\n"
        for r in results
    )
    by_method = {r.method: r for r in results}
    predictive = by_method.get(Method.PREDICTIVE)
    progressive = by_method.get(Method.PROGRESSIVE)
    if predictive and progressive and progressive.talk_s:
        ratio = predictive.talk_s / progressive.talk_s
        rows += f"predictive / progressive talk time: {ratio:.2f}x\n"
    return head + rows


def main(args: argparse.Namespace) -> int:
    return run(args, out=sys.stdout, err=sys.stderr)
