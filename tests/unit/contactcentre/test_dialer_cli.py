"""`contactcentre dialer simulate` as a user runs it."""

from __future__ import annotations

import pytest

from contactcentre.__main__ import main


def test_simulate_prints_every_method_and_draws_a_progress_bar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["dialer", "simulate", "--agents", "4", "--hours", "0.5", "--seed", "2"]
    )
    out, err = capsys.readouterr()
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert {"predictive", "progressive", "fixed_ratio", "adapt_tapered"} <= set(rows)
    assert "4 agents, 0.5 h, US rules, limit 3.0%" in out
    assert rows["progressive"].split()[3] == "0.00%"
    assert "predictive / progressive talk time:" in out
    assert "100%" in err
    assert "simulating [" in err


def test_simulate_is_the_same_for_the_same_seed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["dialer", "simulate", "--agents", "3", "--hours", "0.25", "--rules", "uk"]
    main(argv)
    first = capsys.readouterr().out
    main(argv)
    assert capsys.readouterr().out == first
    assert "UK rules" in first


def test_simulate_names_bad_options_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "dialer",
            "simulate",
            "--person-rate",
            "0.9",
            "--machine-rate",
            "0.5",
            "--agents",
            "0",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "sum to <= 1" in err
    assert "agents must be at least 1" in err
    assert "simulating" not in err


def test_collapse_option_changes_the_day(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["dialer", "simulate", "--agents", "3", "--hours", "0.5"]
    main(base)
    steady = capsys.readouterr().out
    main([*base, "--collapse-at-hour", "0.1", "--collapse-person-rate", "0.05"])
    collapsed = capsys.readouterr().out
    assert steady != collapsed
