"""The journal on disk: numbered segment files of JSON lines in one directory, each
line an entry (an event waiting for its handler) or a mark that an entry is done,
and a dead-letter file. Stores and reads; the order of work and the retries belong
to contactcentre.journal."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from contactcentre.errors import StartRefused

log = logging.getLogger(__name__)

SEGMENT_BYTES = 4 << 20
"""A segment this big is closed and a new one started."""
COMPACT_BYTES = 64 << 10
"""With nothing pending, a segment this big is replaced by an empty one."""
DEAD_LETTERS = "dead-letters.jsonl"
SERVES = "serves"
"""Names the database the journal's records are written to."""
_SEGMENT_GLOB = "[0-9]*.jsonl"


class JournalUnavailable(StartRefused):
    """The journal directory cannot be used: another process holds it, or it
    keeps records for another database."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stored:
    """One entry: `event` (JSON values, see EventCodec.to_json) of `topic` for the
    handler named `handler`, applied in `seq` order with the others of `key`."""

    seq: int
    handler: str
    key: str
    topic: str
    event: object

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "handler": self.handler,
            "key": self.key,
            "topic": self.topic,
            "event": self.event,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovered:
    """What a start found: `pending` entries (from `first_seq` on), the next free
    sequence number and the dead letters kept so far."""

    pending: int
    first_seq: int
    next_seq: int
    dead_letters: int


@dataclass(slots=True, kw_only=True)
class _Segment:
    path: Path
    file: IO[bytes]
    size: int = 0
    first_seq: int | None = None
    unfinished: int = 0


class JournalFiles:
    """Call `recover()` once (in a thread) before anything else, then `append`,
    `done` and `dead_letter` from the event loop; `sync()` makes what was written
    durable (fsync, off the loop).

    A segment is deleted once every entry in it and in the segments before it is
    done, so the done marks it holds can never bring back an entry (they are
    written after the entries they mark)."""

    def __init__(
        self,
        directory: Path,
        *,
        segment_bytes: int = SEGMENT_BYTES,
        compact_bytes: int = COMPACT_BYTES,
    ) -> None:
        self.directory = directory
        self._segment_bytes = segment_bytes
        self._compact_bytes = compact_bytes
        self._segments: list[_Segment] = []
        self._closing: list[IO[bytes]] = []
        self._lock: IO[bytes] | None = None
        self._dead: IO[bytes] | None = None
        self._directory_changed = False

    @property
    def dead_letters_path(self) -> Path:
        return self.directory / DEAD_LETTERS

    def recover(self, *, serves: str) -> Recovered:
        """Take the directory for the database named `serves`, keep the entries
        not marked done in one fresh segment, in order, and delete the old
        segments. Lines that cannot be read go to the dead letters. Blocking.

        JournalUnavailable if another process has the directory, or if it keeps
        entries for another database: replayed here they would land in the
        wrong one (a data directory shared by two installations, or a database
        setting changed with records still waiting)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        old = sorted(self.directory.glob(_SEGMENT_GLOB), key=_number)
        done, last_seq = _done_marks(old)
        self._serve(serves, old, done)
        number = _number(old[-1]) + 1 if old else 1
        self._dead = (self.directory / DEAD_LETTERS).open("ab")
        self._open_segment(number)
        pending, first_seq = 0, last_seq + 1
        for entry in _entries(old, self._unreadable):
            if entry.seq not in done:
                self.append(entry)
                first_seq = min(first_seq, entry.seq)
                pending += 1
        _fsync_files([s.file for s in self._segments], self._closing, None)
        self._closing = []
        for path in old:
            path.unlink()
        _fsync_directory(self.directory)
        self._dead.flush()
        dead = _count_lines(self.directory / DEAD_LETTERS)
        return Recovered(
            pending=pending,
            first_seq=first_seq,
            next_seq=last_seq + 1,
            dead_letters=dead,
        )

    def append(self, entry: Stored) -> None:
        """Write `entry` (to the OS: it survives the process, not yet a power cut).
        Raises OSError, and TypeError for an event that is not JSON."""
        current = self._segments[-1]
        self._write(current, entry.as_json())
        current.unfinished += 1
        if current.first_seq is None:
            current.first_seq = entry.seq
        if current.size >= self._segment_bytes:
            self._open_segment(_number(current.path) + 1)

    def done(self, seq: int) -> None:
        """Mark entry `seq` applied (or dead-lettered); delete what nothing needs."""
        self._write(self._segments[-1], {"done": seq})
        for segment in reversed(self._segments):
            if segment.first_seq is not None and segment.first_seq <= seq:
                segment.unfinished -= 1
                break
        current = self._segments[-1]
        if (
            len(self._segments) == 1
            and current.unfinished == 0
            and current.size >= self._compact_bytes
        ):
            self._open_segment(_number(current.path) + 1)
        while len(self._segments) > 1 and self._segments[0].unfinished == 0:
            gone = self._segments.pop(0)  # its file was closed when it was replaced
            gone.path.unlink(missing_ok=True)
            self._directory_changed = True

    async def read(self, *, after: int, limit: int) -> list[Stored]:
        """Up to `limit` entries with a sequence number above `after`, in order
        (those written but not yet handed to a worker). Reads in a thread."""
        paths: list[Path] = []
        for i, segment in enumerate(self._segments):
            later = [s.first_seq for s in self._segments[i + 1 :] if s.first_seq]
            if not (later and later[0] <= after + 1):
                paths.append(segment.path)
        return await asyncio.to_thread(_read, paths, after, limit)

    def dead_letter(self, record: Mapping[str, object]) -> None:
        """Keep `record` (an entry and why it failed) in the dead-letter file."""
        assert self._dead is not None, "recover() first"
        self._dead.write(_line(dict(record)))
        self._dead.flush()

    async def sync(self) -> None:
        """fsync what was written (segments, dead letters, the directory), in a
        thread; closes the segments that were replaced."""
        closing, self._closing = self._closing, []
        files = [s.file for s in self._segments[-1:]] + closing
        if self._dead is not None:
            files.append(self._dead)
        directory = self.directory if self._directory_changed else None
        self._directory_changed = False
        await asyncio.to_thread(_fsync_files, files, closing, directory)

    def close(self) -> None:
        """Flush, fsync and close everything, and let go of the directory."""
        files = [s.file for s in self._segments] + self._closing
        if self._dead is not None:
            files.append(self._dead)
        _fsync_files(files, files, None)
        self._segments, self._closing, self._dead = [], [], None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _take_lock(self) -> None:
        lock = (self.directory / "lock").open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise JournalUnavailable(
                f"journal {self.directory} is in use by another process"
            ) from None
        self._lock = lock

    def _serve(self, serves: str, old: list[Path], done: set[int]) -> None:
        """Stamp the directory as `serves`'s; refuse one holding another's
        entries."""
        stamp = self.directory / SERVES
        try:
            kept = stamp.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            kept = serves
        if kept != serves:
            waiting = sum(1 for e in _entries(old, _skip) if e.seq not in done)
            if waiting:
                raise JournalUnavailable(
                    f"journal {self.directory} keeps {waiting} call records for "
                    f"the database {kept}, not {serves}: start with that database "
                    f"to write them, or move {self.directory} away to start an "
                    "empty journal (the records stay in it)"
                )
            log.warning(
                "journal %s served the database %s; it serves %s from now on",
                self.directory, kept, serves,
            )  # fmt: skip
        if not stamp.exists() or kept != serves:
            written = stamp.with_suffix(".new")
            written.write_text(serves + "\n", encoding="utf-8")
            written.replace(stamp)
            self._directory_changed = True

    def _open_segment(self, number: int) -> _Segment:
        if self._segments:
            self._closing.append(self._segments[-1].file)
        path = self.directory / f"{number:08d}.jsonl"
        segment = _Segment(path=path, file=path.open("ab"))
        self._segments.append(segment)
        self._directory_changed = True
        return segment

    def _write(self, segment: _Segment, data: dict[str, Any]) -> None:
        line = _line(data)
        segment.file.write(line)
        segment.file.flush()
        segment.size += len(line)

    def _unreadable(self, path: Path, raw: bytes, error: str) -> None:
        log.warning("journal %s: unreadable line kept in dead letters: %s", path, error)
        self.dead_letter({"raw": raw.decode(errors="replace"), "error": error})


def _skip(_path: Path, _raw: bytes, _error: str) -> None:
    """An unreadable line, when only counting entries (recovery keeps it)."""


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _number(path: Path) -> int:
    return int(path.stem)


def _lines(path: Path) -> Iterator[tuple[bytes, dict[str, Any] | str]]:
    """Each line of `path` with its JSON object, or why it could not be read."""
    with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
        for raw in handle:
            try:
                data = json.loads(raw)
            except ValueError as exc:
                yield raw, f"not JSON: {exc}"
                continue
            yield raw, data if isinstance(data, dict) else "not an object"


def _done_marks(paths: list[Path]) -> tuple[set[int], int]:
    done: set[int] = set()
    last = 0
    for path in paths:
        for _raw, data in _lines(path):
            if isinstance(data, str):
                continue
            seq = data.get("done", data.get("seq"))
            if isinstance(seq, int):
                last = max(last, seq)
                if "done" in data:
                    done.add(seq)
    return done, last


def _entries(
    paths: list[Path], unreadable: Callable[[Path, bytes, str], None]
) -> Iterator[Stored]:
    for path in paths:
        for raw, data in _lines(path):
            if isinstance(data, str):
                unreadable(path, raw, data)
                continue
            if "done" in data:
                continue
            try:
                yield _stored(data)
            except (KeyError, TypeError) as exc:
                unreadable(path, raw, f"not an entry: {exc!r}")


def _stored(data: dict[str, Any]) -> Stored:
    seq, handler, key, topic = data["seq"], data["handler"], data["key"], data["topic"]
    if not (
        isinstance(seq, int)
        and isinstance(handler, str)
        and isinstance(key, str)
        and isinstance(topic, str)
    ):
        raise TypeError("seq, handler, key or topic of the wrong type")
    return Stored(seq=seq, handler=handler, key=key, topic=topic, event=data["event"])


def _read(paths: list[Path], after: int, limit: int) -> list[Stored]:
    found: list[Stored] = []
    for path in paths:
        for _raw, data in _lines(path):
            if isinstance(data, str):
                return found  # a line still being written: the rest comes next time
            if "done" in data or data.get("seq", 0) <= after:
                continue
            found.append(_stored(data))
            if len(found) >= limit:
                return found
    return found


def _count_lines(path: Path) -> int:
    with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
        return sum(1 for _ in handle)
    return 0


def _fsync_files(
    files: list[IO[bytes]], closing: list[IO[bytes]], directory: Path | None
) -> None:
    for handle in files:
        with contextlib.suppress(ValueError):  # closed meanwhile, at shutdown
            handle.flush()
            os.fsync(handle.fileno())
    for handle in closing:
        handle.close()
    if directory is not None:
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
