"""A start names a missing speech tool once, with the package that brings it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from contactcentre.startup import missing_speech_tools, report_missing_speech_tools


def test_missing_sox_is_reported_once_with_its_package_when_not_on_the_path(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "sox" in missing_speech_tools()
    with caplog.at_level(logging.WARNING):
        report_missing_speech_tools()
    (record,) = caplog.records
    assert "sox" in record.getMessage()
    assert "apt-get install sox" in record.getMessage()


def test_nothing_is_reported_when_the_tools_are_installed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert missing_speech_tools() == []  # .ci/run installs sox and espeak-ng
    with caplog.at_level(logging.WARNING):
        report_missing_speech_tools()
    assert caplog.records == []
