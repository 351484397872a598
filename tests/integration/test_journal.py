"""The journal of call records on a real directory: order per call, retries while
the database is away, replay after a restart, the memory bound, dead letters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from contactcentre.journal import Journal
from contactcentre.journal_files import JournalUnavailable
from telephony.backoff import Backoff
from tests.waiting import eventually

FAST = Backoff(initial_s=0.01, cap_s=0.05)
DATABASE = "postgresql+asyncpg://cc:***@db/cc"


@dataclass(frozen=True, slots=True, kw_only=True)
class Noted:
    topic: ClassVar[str] = "test.noted"
    call_id: str
    n: int


@dataclass
class Sink:
    """A record-keeping handler: `away` plays the database being unreachable,
    `bad` the records that fail for good, `slow` those that take a while."""

    applied: list[Noted] = field(default_factory=list)
    away: bool = False
    bad: frozenset[int] = frozenset()
    slow: dict[int, float] = field(default_factory=dict)

    async def apply(self, event: Noted) -> None:
        await asyncio.sleep(self.slow.get(event.n, 0))
        if self.away:
            raise ConnectionRefusedError(111, "Connect call failed")
        if event.n in self.bad:
            raise ValueError(f"bad data in record {event.n}")
        self.applied.append(event)

    def of(self, call_id: str) -> list[int]:
        return [e.n for e in self.applied if e.call_id == call_id]


Send = Callable[[Noted], Awaitable[None]]


@asynccontextmanager
async def running(
    directory: Path,
    sink: Sink,
    *,
    max_held: int = 100,
    concurrency: int = 2,
    serves: str = DATABASE,
) -> AsyncIterator[tuple[Journal, Send]]:
    journal = Journal(
        directory,
        serves=serves,
        max_held=max_held,
        concurrency=concurrency,
        backoff=FAST,
    )
    send = journal.durable((Noted,), sink.apply)
    task = asyncio.create_task(journal.run())
    try:
        yield journal, send
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def segments(directory: Path) -> list[Path]:
    return list(directory.glob("[0-9]*.jsonl"))


async def drained(journal: Journal) -> None:
    async with asyncio.timeout(10):
        await journal.drained()


async def test_records_of_a_call_keep_their_order_when_calls_run_in_parallel(
    tmp_path: Path,
) -> None:
    sink = Sink(slow={1: 0.2})
    async with running(tmp_path, sink) as (journal, send):
        for n in (1, 2, 3):
            await send(Noted(call_id="a", n=n))
        for n in (10, 11, 12):
            await send(Noted(call_id="b", n=n))
        await drained(journal)

    assert sink.of("a") == [1, 2, 3]
    assert sink.of("b") == [10, 11, 12]
    assert [e.n for e in sink.applied][:3] == [10, 11, 12], "b did not wait for a"


async def test_records_wait_and_are_applied_when_the_database_answers_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="contactcentre.journal")
    sink = Sink(away=True)
    async with running(tmp_path, sink) as (journal, send):
        for n in (1, 2, 3):
            await send(Noted(call_id="a", n=n))

        async def waiting() -> bool:
            backlog = journal.backlog()
            return backlog.retrying and backlog.pending == 3

        await eventually(waiting)
        assert sink.applied == []
        sink.away = False
        await drained(journal)

    assert sink.of("a") == [1, 2, 3]
    assert not journal.backlog().retrying
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("database unreachable") for m in messages)
    assert any(m.startswith("journal drained") for m in messages)


async def test_records_left_by_the_last_run_go_first_when_the_service_starts_again(
    tmp_path: Path,
) -> None:
    gone = Sink(away=True)
    async with running(tmp_path, gone) as (journal, send):
        for call_id, n in (("a", 1), ("b", 10), ("a", 2)):
            await send(Noted(call_id=call_id, n=n))
        await eventually(lambda: _retrying(journal))

    back = Sink(slow={1: 0.1})
    async with running(tmp_path, back) as (journal, send):
        await send(Noted(call_id="a", n=3))
        await send(Noted(call_id="c", n=20))
        await drained(journal)
    assert back.of("a") == [1, 2, 3]
    assert back.of("b") == [10]
    assert back.of("c") == [20]
    assert {e.n for e in back.applied[:3]} == {1, 2, 10}, "the last run's first"

    again = Sink()
    async with running(tmp_path, again) as (journal, _send):
        await drained(journal)
    assert again.applied == [], "applied records are not replayed"
    assert len(segments(tmp_path)) == 1


async def test_records_past_the_bound_wait_on_disk_and_none_is_lost_when_it_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = Sink(away=True)
    sent = [Noted(call_id=f"call{n % 3}", n=n) for n in range(20)]
    async with running(tmp_path, sink, max_held=4) as (journal, send):
        for event in sent:
            await send(event)
        await eventually(lambda: _retrying(journal))
        backlog = journal.backlog()
        assert (backlog.pending, backlog.on_disk_only) == (20, 16)
        sink.away = False
        await drained(journal)

    assert sorted(e.n for e in sink.applied) == list(range(20))
    for call_id in ("call0", "call1", "call2"):
        assert sink.of(call_id) == [e.n for e in sent if e.call_id == call_id]
    assert any("wait on disk only" in r.getMessage() for r in caplog.records)


async def test_a_record_that_fails_for_good_is_a_dead_letter_and_the_call_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = Sink(bad=frozenset({2}))
    async with running(tmp_path, sink) as (journal, send):
        for n in (1, 2, 3):
            await send(Noted(call_id="pbx1:17.1", n=n))
        await drained(journal)
        dead_letters = journal.dead_letters_path

    assert sink.of("pbx1:17.1") == [1, 3]
    assert journal.backlog().dead_letters == 1
    [line] = dead_letters.read_text().splitlines()
    kept = json.loads(line)
    assert kept["event"] == {"call_id": "pbx1:17.1", "n": 2}
    assert kept["handler"].endswith("Sink.apply")
    assert kept["error"] == "ValueError: bad data in record 2"
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "call=pbx1:17.1" in logged.getMessage()
    assert "n=2" in logged.getMessage()


async def test_a_line_cut_by_a_crash_is_a_dead_letter_when_the_journal_starts(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, Sink(away=True)) as (journal, send):
        await send(Noted(call_id="a", n=1))
        await eventually(lambda: _retrying(journal))
    [segment] = segments(tmp_path)
    with segment.open("ab") as handle:
        handle.write(b'{"seq":2,"handler":"tests.inte')

    sink = Sink()
    async with running(tmp_path, sink) as (journal, _send):
        await drained(journal)
        assert journal.backlog().dead_letters == 1
    assert sink.of("a") == [1]


async def test_a_second_process_is_refused_when_the_journal_is_in_use(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, Sink()) as (journal, _send):
        await drained(journal)
        other = Journal(tmp_path, serves=DATABASE)
        with pytest.raises(JournalUnavailable, match="in use"):
            await other.run()


async def test_another_database_is_refused_while_records_for_the_first_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path, Sink(away=True)) as (journal, send):
        await send(Noted(call_id="a", n=1))
        await eventually(lambda: _retrying(journal))
    other = "sqlite+aiosqlite:///var/other.db"

    with pytest.raises(JournalUnavailable, match=r"keeps 1 call records for the da"):
        await Journal(tmp_path, serves=other).run()
    sink = Sink()
    async with running(tmp_path, sink) as (journal, _send):  # the first is back
        await drained(journal)
    assert sink.of("a") == [1]
    async with running(tmp_path, Sink(), serves=other) as (journal, _send):
        await drained(journal)
        assert journal.running  # nothing waited: the journal is other's now
    assert (tmp_path / "serves").read_text().strip() == other
    assert any("from now on" in r.getMessage() for r in caplog.records)


async def _retrying(journal: Journal) -> bool:
    return journal.backlog().retrying
