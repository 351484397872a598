"""Stored IVR flow versions on SQLite and PostgreSQL: every version is kept, the
newest of each flow comes back, and a restart restores them over the files; a
stored document that no longer validates is skipped, the file version serving."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from crm_core.db import Sessions
from ivr.flow import document_digest
from ivr.flow_store import FlowStoreFailed, FlowVersionTaken, restore
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.tables import SqlFlowStore

AT = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)

SOUNDS: dict[str, Any] = {
    "flow": "sounds",
    "language": "en",
    "numbers": ["2001"],
    "start": "welcome",
    "operator": "operator",
    "nodes": {
        "welcome": {"kind": "play", "files": ["cc/t/hello"], "next": "bye"},
        "bye": {"kind": "hangup"},
        "operator": {"kind": "queue", "queue": "general"},
    },
}


def _files() -> FlowRegistry:
    registry = FlowRegistry()
    assert not registry.load_directory(DEMO_FLOWS).refused
    return registry


def _english() -> dict[str, Any]:
    text_ = (DEMO_FLOWS / "main_en.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text_)
    return document


async def _save(
    store: SqlFlowStore,
    registry: FlowRegistry,
    document: object,
    *,
    by: str | None = "sveta",
    at: datetime = AT,
) -> int:
    """Save and publish as the API does; returns the version."""
    flow = registry.candidate(document, source=f"api:{by or 'system'}")
    await store.save(flow, document, by=by, at=at)
    return registry.publish(document, source=flow.source, version=flow.version).version


async def test_newest_version_of_each_flow_comes_back_when_saved(
    sessions: Sessions,
) -> None:
    store, registry = SqlFlowStore(sessions), FlowRegistry()
    await _save(store, registry, SOUNDS, by="olga")
    changed = {**SOUNDS, "numbers": ["2002"]}
    await _save(store, registry, changed, by=None, at=AT + timedelta(hours=1))
    english = _english()
    await _save(store, registry, english)
    latest = await store.latest()
    assert [(s.name, s.version) for s in latest] == [("main-en", 1), ("sounds", 2)]
    sounds = latest[1]
    running = registry.current("sounds")
    assert running is not None
    assert sounds.document == changed
    assert (sounds.digest, sounds.source) == (running.digest, "api:system")
    assert (sounds.published_at, sounds.published_by) == (AT + timedelta(hours=1), None)
    assert latest[0].published_by == "sveta"
    # dates in a YAML document are kept as the ISO text the flow model reads
    stored = latest[0].document
    assert isinstance(stored, dict)
    assert stored["calendar"]["holidays"][0] == "2026-01-01"
    assert document_digest(latest[0].document) == latest[0].digest


async def test_nothing_comes_back_when_nothing_was_saved(sessions: Sessions) -> None:
    assert await SqlFlowStore(sessions).latest() == []


async def test_version_is_refused_when_stored_already(sessions: Sessions) -> None:
    store = SqlFlowStore(sessions)
    flow = FlowRegistry().candidate(SOUNDS, source="api:sveta")
    await store.save(flow, SOUNDS, by="sveta", at=AT)
    with pytest.raises(FlowVersionTaken):
        await store.save(flow, SOUNDS, by="olga", at=AT)
    [stored] = await store.latest()
    assert stored.published_by == "sveta"


async def test_store_failure_is_ours_when_the_table_is_missing(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as s:
        await s.execute(text("DROP TABLE ivr_flow_versions"))
    store = SqlFlowStore(sessions)
    flow = FlowRegistry().candidate(SOUNDS, source="api:sveta")
    with pytest.raises(FlowStoreFailed, match="not saved"):
        await store.save(flow, SOUNDS, by="sveta", at=AT)
    with pytest.raises(FlowStoreFailed, match="not read"):
        await store.latest()


async def test_stored_version_serves_over_the_file_when_restored(
    sessions: Sessions,
) -> None:
    store, before = SqlFlowStore(sessions), _files()
    document = _english()
    document["nodes"]["goodbye"]["text"] = "Goodbye, and thank you."
    await _save(store, before, document)
    document["nodes"]["goodbye"]["text"] = "Bye."
    assert await _save(store, before, document, at=AT + timedelta(days=1)) == 3
    await _save(store, before, SOUNDS, by="olga")

    after = _files()
    assert await restore(after, store) == 2
    english = after.flow_for("8800")
    assert english is not None
    assert (english.name, english.version, english.source) == (
        "main-en",
        3,
        "api:sveta",
    )
    restored = after.document("main-en", 3)
    assert document_digest(restored) == document_digest(document)
    assert isinstance(restored, dict)
    assert restored["nodes"]["goodbye"]["text"] == "Bye."
    published = after.publication("main-en", 3)
    assert (published.at, published.by) == (AT + timedelta(days=1), "sveta")
    assert [v.version for v in after.versions("main-en")] == [1, 3]
    sounds = after.flow_for("2001")
    assert sounds is not None
    assert (sounds.name, sounds.version) == ("sounds", 1)
    korean = after.current("main-ko")
    assert korean is not None
    assert korean.source == str(DEMO_FLOWS / "main_ko.yaml")


async def test_file_version_keeps_serving_when_the_stored_one_no_longer_validates(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    store, before = SqlFlowStore(sessions), _files()
    valid = _english()
    valid["nodes"]["goodbye"]["text"] = "Goodbye, and thank you."
    flow = before.candidate(valid, source="api:sveta")
    broken = copy.deepcopy(valid)
    broken["nodes"]["main"]["choices"][1]["goto"] = "nowhere"
    await store.save(flow, broken, by="sveta", at=AT)

    after = _files()
    file_version = after.current("main-en")
    with caplog.at_level(logging.ERROR, logger="ivr.flow_store"):
        assert await restore(after, store) == 0
    assert after.current("main-en") is file_version
    assert any(
        "flow=main-en version=2" in r.getMessage() and "nowhere" in r.getMessage()
        for r in caplog.records
    )
    # the next version does not reuse the number the stored one holds
    assert after.candidate(valid, source="api:sveta").version == 3


async def test_file_version_serves_when_the_stored_document_equals_it(
    sessions: Sessions,
) -> None:
    store = SqlFlowStore(sessions)
    other = FlowRegistry()
    for numbers in (["8800"], ["8800", "_8800XXXXXXX"]):
        await _save(store, other, {**_english(), "numbers": numbers})
    after = _files()
    file_version = after.current("main-en")
    assert await restore(after, store) == 0
    assert after.current("main-en") is file_version
    assert after.candidate(SOUNDS, source="api:sveta").version == 1
    changed = {**_english(), "numbers": ["8899"]}
    assert after.candidate(changed, source="api:sveta").version == 3


async def test_number_moves_to_another_flow_when_both_are_restored(
    sessions: Sessions,
) -> None:
    store, before = SqlFlowStore(sessions), _files()
    english = {**_english(), "numbers": ["_8800XXXXXXX"]}
    await _save(store, before, english)
    await _save(store, before, {**SOUNDS, "flow": "aaa", "numbers": ["8800"]})
    after = _files()
    assert await restore(after, store) == 2
    serving = after.flow_for("8800")
    assert serving is not None
    assert serving.name == "aaa"
