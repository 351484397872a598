"""A write-ahead journal for the bus handlers that keep call records: each event is
written to a local file before its handler runs, applied in order per call, retried
while the database is away, and kept in a dead-letter file when it cannot be
applied at all. It knows nothing of the records themselves."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from contactcentre.bus import Bus
from contactcentre.journal_files import JournalFiles, Stored
from contactcentre.redis_bridge import CodecError, EventCodec, channel_of
from crm_core.db import is_transient
from telephony.backoff import Backoff

log = logging.getLogger(__name__)

RETRY = Backoff(initial_s=0.2, cap_s=5.0)
"""One probe of the database at most every 5 s per worker while it is away."""
APPLY_TIMEOUT_S = 60.0
SYNC_EVERY_S = 1.0
REREAD_PAUSE_S = 0.1


class CallRecord(Protocol):
    """An event a journaled handler takes: it names the call it belongs to."""

    @property
    def call_id(self) -> str: ...


R = TypeVar("R", bound=CallRecord)
Handler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Backlog:
    """The journal's depth, for readiness checks and metrics."""

    pending: int
    """Call records journaled and not yet applied."""
    on_disk_only: int
    """Of those, the ones past the memory bound (`max_held`), waiting on disk."""
    retrying: bool
    """A record is waiting for the database to answer."""
    dead_letters: int
    """Records kept in the dead-letter file (a bug or bad data), to be looked at."""


@dataclass(slots=True, kw_only=True)
class _Entry:
    stored: Stored
    event: object
    on_disk: bool


class Journal:
    """Wrap handlers with `durable` (or subscribe them through `on(bus)`) while
    wiring, then own `run()` with the other long-running tasks.

    - Ownership: the directory serves one database (`serves`, its URL without the
      password) in one process at a time; it refuses to start for another
      database while it keeps records for the first (see JournalFiles.recover).
    - Order: a call's records are applied one at a time in the order they were
      journaled; different calls go in parallel (`concurrency`). The records left by
      an earlier run are all applied before any new one.
    - Retries: an error that says the database is away (crm_core.db.is_transient) is
      retried with telephony.backoff until the database answers; any other error is a
      bug or bad data: logged with the event, kept in `dead-letters.jsonl`, and the
      call's next records go on.
    - Bound: at most `max_held` records wait in memory. Past it, new records are still
      written to the journal, in order, but wait on disk only and are read back as the
      backlog drains: nothing is dropped and no bus handler waits. Only the disk bounds
      the journal, at a few kilobytes per call against megabytes for its recording.
    - Durability: each record is written to the OS before its bus handler returns, so
      a crash or SIGKILL of the service loses none. fsync runs in a thread at most once
      a second (group commit): a power cut can cost the last second of records still
      waiting for the database, and fsyncing on the event loop per record would stall
      calls for every record, while the database is up and commits them itself anyway.
    """

    def __init__(
        self,
        directory: Path,
        *,
        serves: str,
        max_held: int = 10_000,
        concurrency: int = 4,
        backoff: Backoff = RETRY,
        apply_timeout_s: float = APPLY_TIMEOUT_S,
    ) -> None:
        self._files = JournalFiles(directory)
        self._serves = serves
        self._opened = False
        self._max_held = max_held
        self._concurrency = concurrency
        self._backoff = backoff
        self._apply_timeout_s = apply_timeout_s
        self._handlers: dict[str, Handler] = {}
        self._types: list[type[Any]] = []
        self._codec = EventCodec(())
        self._lanes: dict[str, deque[_Entry]] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._open = asyncio.Event()
        self._wrote = asyncio.Event()
        self._want_more = asyncio.Event()
        self._idle = asyncio.Event()
        self._next_seq = 1
        self._loaded_upto = 0
        self._held = 0
        self._on_disk_only = 0
        self._retrying = 0
        self._dead = 0
        self._replaying = 0
        """Records left by the last run not yet applied: new ones wait for them."""
        self._replayed_upto = 0
        self._outage_since: float | None = None
        self._answered = True

    # wiring ---------------------------------------------------------------------

    def durable(
        self,
        event_types: tuple[type[Any], ...],
        handler: Callable[[R], Awaitable[None]],
    ) -> Callable[[R], Awaitable[None]]:
        """`handler` behind the journal: the returned callable writes the event to
        the journal and returns; the journal applies it. `handler` must be
        idempotent per call id (a record may be applied again after a crash) and
        keep its name (module and qualified name): the journal finds it by that
        name after a restart. Each event type needs a `topic` and a `call_id`."""
        name = handler_name(handler)
        if name in self._handlers:
            raise ValueError(f"{name} is already journaled")
        for event_type in event_types:
            channel_of(event_type)
            if "call_id" not in {f.name for f in dataclasses.fields(event_type)}:
                raise TypeError(f"{event_type.__qualname__} has no call_id")
            if event_type not in self._types:
                self._types.append(event_type)
        self._handlers[name] = handler

        async def journaled(event: R) -> None:
            while not self._open.is_set():  # set before the start, not after the end
                await self._open.wait()
            self._append(name, event)

        journaled.__qualname__ = f"journaled:{name}"
        return journaled

    def on(self, bus: Bus) -> DurableSubscriptions:
        """`bus`'s subscribe methods with every handler journaled."""
        return DurableSubscriptions(bus, self)

    # the metric -----------------------------------------------------------------

    def backlog(self) -> Backlog:
        return Backlog(
            pending=self._held + self._on_disk_only,
            on_disk_only=self._on_disk_only,
            retrying=self._retrying > 0,
            dead_letters=self._dead,
        )

    @property
    def running(self) -> bool:
        """Whether records are taken (between the start of `run()` and its end)."""
        return self._open.is_set()

    @property
    def event_types(self) -> tuple[type[Any], ...]:
        """Every event type a journaled handler takes (the journal's codec)."""
        return tuple(self._types)

    @property
    def dead_letters_path(self) -> Path:
        return self._files.dead_letters_path

    # running --------------------------------------------------------------------

    async def open(self) -> None:
        """Take the directory and load what an earlier run left, so that a start
        is refused before anything is served (`run()` does it when not done yet).
        Raises journal_files.JournalUnavailable when another process holds the
        directory or it keeps records for a database other than `serves`,
        OSError when it cannot be created."""
        if self._opened:
            return
        self._codec = EventCodec(self._types)
        try:
            found = await asyncio.to_thread(self._files.recover, serves=self._serves)
            self._opened = True
        finally:
            if not self._opened:  # let go of the directory: nothing will run
                self._files.close()
        self._next_seq = found.next_seq
        self._loaded_upto = found.first_seq - 1
        self._on_disk_only = self._replaying = found.pending
        self._replayed_upto = found.next_seq - 1
        self._dead = found.dead_letters
        if found.pending:
            log.warning(
                "journal %s: %d call records left by the last run are applied first",
                self._files.directory,
                found.pending,
            )
            self._want_more.set()

    async def run(self) -> None:
        """Apply what an earlier run left, then every new record, until cancelled.
        Raises as `open()`."""
        try:
            await self.open()
            self._open.set()
            async with asyncio.TaskGroup() as group:
                for n in range(self._concurrency):
                    group.create_task(self._work(), name=f"journal:worker{n}")
                group.create_task(self._read_back(), name="journal:read-back")
                group.create_task(self._sync(), name="journal:sync")
        finally:
            self._open.clear()
            self._opened = False
            self._files.close()

    async def drained(self) -> None:
        """Wait until every record journaled so far is applied (for tests)."""
        await self._open.wait()
        while self._held or self._on_disk_only:
            self._idle.clear()
            await self._idle.wait()

    def _append(self, name: str, event: CallRecord) -> None:
        topic, fields = self._codec.to_json(event)
        seq, self._next_seq = self._next_seq, self._next_seq + 1
        stored = Stored(
            seq=seq, handler=name, key=str(event.call_id), topic=topic, event=fields
        )
        try:
            self._files.append(stored)
        except (OSError, TypeError, ValueError) as exc:
            log.error(
                "call=%s journal %s cannot keep %s (%s): applied from memory only",
                stored.key, self._files.directory, topic, exc,
            )  # fmt: skip
            self._hold(_Entry(stored=stored, event=event, on_disk=False))
            return
        self._wrote.set()
        if self._on_disk_only or self._held >= self._max_held:
            if not self._on_disk_only:
                log.error(
                    "journal %s holds %d call records waiting for the database: "
                    "the next ones wait on disk only",
                    self._files.directory,
                    self._held,
                )
            self._on_disk_only += 1
            return
        self._hold(_Entry(stored=stored, event=event, on_disk=True))
        self._loaded_upto = seq

    def _hold(self, entry: _Entry) -> None:
        lane = self._lanes.get(entry.stored.key)
        if lane is None:
            lane = self._lanes[entry.stored.key] = deque()
            self._ready.put_nowait(entry.stored.key)
        lane.append(entry)
        self._held += 1

    async def _work(self) -> None:
        while True:
            key = await self._ready.get()
            lane = self._lanes[key]
            while lane:
                await self._apply(lane[0])
                self._finish(lane.popleft())
            del self._lanes[key]

    async def _apply(self, entry: _Entry) -> None:
        handler = self._handlers[entry.stored.handler]
        attempt = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(self._apply_timeout_s):
                        await handler(entry.event)
                except Exception as exc:  # noqa: BLE001  retried or dead-lettered
                    if not is_transient(exc):
                        self._dead_letter(entry.stored, exc, event=entry.event)
                        return
                    if attempt == 0:
                        self._retrying += 1
                        self._database_away(exc)
                    delay_s = self._backoff.delay_s(attempt)
                    attempt += 1
                    log.debug(
                        "call=%s %s waits for the database (%s); retry in %.1fs",
                        entry.stored.key, entry.stored.handler, exc, delay_s,
                    )  # fmt: skip
                    await asyncio.sleep(delay_s)
                    continue
                if attempt:
                    self._database_back()
                return
        finally:
            if attempt:
                self._retrying -= 1

    def _finish(self, entry: _Entry) -> None:
        self._held -= 1
        if entry.on_disk:
            self._mark_done(entry.stored.seq)
        self._settled(entry.stored.seq)

    def _settled(self, seq: int) -> None:
        """Bookkeeping once record `seq` is applied or dead-lettered."""
        if self._replaying and seq <= self._replayed_upto:
            self._replaying -= 1
            if not self._replaying:
                log.info("journal: the call records left by the last run are applied")
                self._want_more.set()
        if self._on_disk_only and self._held <= self._max_held // 2:
            self._want_more.set()
        if not (self._held or self._on_disk_only):
            self._idle.set()
            if self._outage_since is not None:
                log.info(
                    "journal drained: the call records that waited for the database "
                    "are written (%.0f s after it went away)",
                    asyncio.get_running_loop().time() - self._outage_since,
                )
                self._outage_since = None

    def _mark_done(self, seq: int) -> None:
        try:
            self._files.done(seq)
        except OSError as exc:
            # the record may be applied again after a restart: handlers are
            # idempotent per call id
            log.warning("journal %s: done mark lost: %s", self._files.directory, exc)
        self._wrote.set()

    async def _read_back(self) -> None:
        """Bring records waiting on disk only into memory as room frees."""
        while True:
            await self._want_more.wait()
            self._want_more.clear()
            waited = self._on_disk_only
            while self._on_disk_only and self._held < self._max_held:
                upto = self._replayed_upto if self._replaying else None
                if upto is not None and self._loaded_upto >= upto:
                    break  # new records wait until the last run's are applied
                found = await self._files.read(
                    after=self._loaded_upto, limit=self._max_held - self._held
                )
                if not found:  # the next line is still being written
                    await asyncio.sleep(REREAD_PAUSE_S)
                    continue
                for stored in found:
                    if upto is not None and stored.seq > upto:
                        break
                    self._loaded_upto = stored.seq
                    self._on_disk_only -= 1
                    self._hold_stored(stored)
            if waited and not self._on_disk_only:
                log.info("journal: the call records waiting on disk are all read back")

    def _hold_stored(self, stored: Stored) -> None:
        try:
            if stored.handler not in self._handlers:
                raise CodecError(f"no journaled handler named {stored.handler}")
            event = self._codec.from_json(stored.topic, stored.event)
        except CodecError as exc:
            self._dead_letter(stored, exc, event=stored.event)
            self._mark_done(stored.seq)
            self._settled(stored.seq)
            return
        self._hold(_Entry(stored=stored, event=event, on_disk=True))

    async def _sync(self) -> None:
        while True:
            await self._wrote.wait()
            self._wrote.clear()
            try:
                await self._files.sync()
            except OSError as exc:
                log.warning("journal %s: fsync failed: %s", self._files.directory, exc)
            await asyncio.sleep(SYNC_EVERY_S)

    def _dead_letter(self, stored: Stored, error: Exception, *, event: object) -> None:
        log.error(
            "call=%s %s failed for good; kept in %s: %r",
            stored.key, stored.handler, self._files.dead_letters_path, event,
            exc_info=error,
        )  # fmt: skip
        self._dead += 1
        record = {
            **stored.as_json(),
            "error": f"{type(error).__name__}: {error}",
            "failed_at": datetime.now(UTC).isoformat(),
        }
        try:
            self._files.dead_letter(record)
        except (OSError, TypeError, ValueError) as exc:
            log.error(
                "journal %s: dead letter not kept: %s", self._files.directory, exc
            )

    def _database_away(self, error: Exception) -> None:
        self._answered = False
        if self._outage_since is not None:
            return
        self._outage_since = asyncio.get_running_loop().time()
        log.warning(
            "database unreachable (%s): call records wait in journal %s "
            "(%d pending) and are retried until it answers",
            _first_line(error),
            self._files.directory,
            self._held + self._on_disk_only,
        )

    def _database_back(self) -> None:
        if not self._answered:
            self._answered = True
            log.info(
                "database answers again: %d call records to write",
                self._held + self._on_disk_only,
            )


@dataclass(frozen=True, slots=True)
class DurableSubscriptions:
    """Bus subscriptions whose handlers go through a journal: swap `bus.subscribe`
    for `records.subscribe` (same arguments) to journal a handler."""

    bus: Bus
    journal: Journal

    def subscribe(
        self, event_type: type[R], handler: Callable[[R], Awaitable[None]]
    ) -> None:
        self.bus.subscribe(event_type, self.journal.durable((event_type,), handler))

    def subscribe_all(
        self,
        event_types: tuple[type[Any], ...],
        handler: Callable[[Any], Awaitable[None]],
    ) -> None:
        self.bus.subscribe_all(event_types, self.journal.durable(event_types, handler))


def handler_name(handler: object) -> str:
    """`module.Qualified.name` of a function, bound method or callable object."""
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    module = getattr(handler, "__module__", None) or type(handler).__module__
    return f"{module}.{qualname}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
