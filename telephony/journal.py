"""`JsonLinesCallJournal`: the calls live on the PBXs, kept in a local file as they
arrive, answer, bridge and end, with a heartbeat, so a service started again knows
which calls it had and when it last saw them (`telephony.ports.CallJournal`).

Append-only JSON lines, flushed to the system at once (a killed process loses
nothing written), compacted to the open calls now and then. No decisions here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from telephony.channel_events import KnownCall
from telephony.events import (
    CallAnswered,
    CallArrived,
    CallBridged,
    CallEnded,
    TelephonyEvent,
)
from telephony.model import CallId, ChannelId, Direction, PbxId

log = logging.getLogger(__name__)

COMPACT_AFTER = 2000
"""Lines written since the last compaction (beyond four per open call) that make
the journal rewrite itself with only the open calls."""


def _time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else None


def _known(record: dict[str, Any], alive: datetime | None) -> KnownCall:
    arrived = _time(record["arrived_at"])
    if arrived is None:
        raise ValueError(f"no arrival time: {record!r}")
    times = [t for t in (arrived, _time(record.get("last")), alive) if t is not None]
    return KnownCall(
        pbx_id=PbxId(str(record["pbx_id"])),
        linkedid=str(record["linkedid"]),
        direction=Direction(str(record["direction"])),
        ani=str(record["ani"]),
        ani_name=str(record["ani_name"]),
        dnis=str(record["dnis"]),
        channel=str(record["channel"]),
        arrived_at=arrived,
        answered_at=_time(record.get("answered_at")),
        bridged_at=_time(record.get("bridged_at")),
        seen_at=max(times),
        legs=tuple((ChannelId(str(c)), str(j)) for c, j in record.get("legs", [])),
    )


class JsonLinesCallJournal:
    """The journal in `path` (its directory is made when missing)."""

    def __init__(self, path: Path, *, compact_after: int = COMPACT_AFTER) -> None:
        self._path = path
        self._compact_after = compact_after
        self._open: dict[str, dict[str, Any]] = {}
        self._alive: datetime | None = None
        self._written = 0
        self._file: IO[str] | None = None
        self._failed = False

    def open_calls(self) -> list[KnownCall]:
        """The calls open when the service last wrote here; the journal is then
        ready for `note` and `alive`."""
        self._read()
        known: list[KnownCall] = []
        for record in self._open.values():
            try:
                known.append(_known(record, self._alive))
            except (KeyError, ValueError) as error:
                log.warning("call journal entry skipped: %r: %s", record, error)
        self._compact()
        return known

    def note(self, event: TelephonyEvent) -> None:
        """Keep what the event changes about the open calls."""
        match event:
            case CallArrived():
                record = {
                    "op": "arrived",
                    "call_id": event.call_id,
                    "pbx_id": event.pbx_id,
                    "linkedid": event.linkedid,
                    "direction": event.direction.value,
                    "ani": event.ani,
                    "ani_name": event.ani_name,
                    "dnis": event.dnis,
                    "channel": event.channel,
                    "arrived_at": event.occurred_at.isoformat(),
                }
            case CallAnswered():
                record = self._moment(event.call_id, "answered_at", event.occurred_at)
            case CallBridged():
                record = self._moment(event.call_id, "bridged_at", event.occurred_at)
            case CallEnded():
                record = {"op": "ended", "call_id": event.call_id}
            case _:
                return
        self._fold(record)
        self._write(record)

    def legs(
        self, call_id: CallId, channel_ids: Sequence[ChannelId], joins_channel: str
    ) -> None:
        """Channels originated into the call, each with the channel it joins."""
        record = {
            "op": "legs",
            "call_id": call_id,
            "legs": [[c, joins_channel] for c in channel_ids],
        }
        self._fold(record)
        self._write(record)

    def alive(self, now: datetime) -> None:
        """The service is up at `now` (calls open now were live then)."""
        record = {"op": "alive", "at": now.isoformat()}
        self._fold(record)
        self._write(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @staticmethod
    def _moment(call: str, name: str, at: datetime) -> dict[str, Any]:
        return {"op": "moment", "call_id": call, name: at.isoformat()}

    def _fold(self, record: dict[str, Any]) -> None:
        match record.get("op"):
            case "arrived":
                self._open[str(record["call_id"])] = dict(record)
            case "moment":
                found = self._open.get(str(record["call_id"]))
                for key in ("answered_at", "bridged_at"):  # the first of each
                    if found is not None and key in record:
                        found.setdefault(key, record[key])
                        found["last"] = record[key]
            case "legs":
                found = self._open.get(str(record["call_id"]))
                if found is not None:
                    found["legs"] = [*found.get("legs", []), *record["legs"]]
            case "ended":
                self._open.pop(str(record["call_id"]), None)
            case "alive":
                self._alive = _time(record["at"])
            case _:
                raise ValueError(f"unknown entry {record!r}")

    def _read(self) -> None:
        try:
            lines = self._path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        except OSError as error:
            log.error("call journal %s not read: %r", self._path, error)
            return
        for line in lines:
            try:
                self._fold(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                log.warning("call journal line skipped: %r: %s", line[:200], error)

    def _compact(self) -> None:
        """Rewrite the journal with only the open calls and the last heartbeat."""
        self.close()
        records: list[dict[str, Any]] = list(self._open.values())
        if self._alive is not None:
            records.append({"op": "alive", "at": self._alive.isoformat()})
        temporary = self._path.with_name(self._path.name + ".new")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(
                "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
            )
            temporary.replace(self._path)
            self._file = self._path.open("a", encoding="utf-8")
        except OSError as error:
            log.error("call journal %s not written: %r", self._path, error)
        self._written = 0

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        try:
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()
        except OSError as error:
            if not self._failed:
                log.error("call journal %s not written: %r", self._path, error)
            self._failed = True
            return
        self._failed = False
        self._written += 1
        if self._written > self._compact_after + 4 * len(self._open):
            self._compact()
