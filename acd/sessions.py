"""`JsonFileKept`, the `acd.ports.KeptStore` in a local JSON file: the agents'
sessions and the callbacks owed, replaced whole and atomically (a service killed
mid-write leaves the previous file). Stores only; what is kept is `acd.model.Kept`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from acd.model import (
    AgentId,
    AgentSession,
    AgentState,
    CallRequest,
    Kept,
    KeptCallback,
    QueueId,
)
from telephony.model import CallId, PbxId

log = logging.getLogger(__name__)

T = TypeVar("T")

VERSION = 1


def _moment(text: object) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"a time without a time zone: {text!r}")
    return moment


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def callback_record(callback: KeptCallback) -> dict[str, object]:
    """A callback owed, as JSON primitives."""
    request = callback.request
    assert request.arrived_at is not None
    return {
        "call_id": request.call_id,
        "queue_id": request.queue_id,
        "skills": dict(request.skills),
        "priority": request.priority,
        "language": request.language,
        "preferred_agent": request.preferred_agent,
        "category": request.category,
        "arrived_at": request.arrived_at.isoformat(),
        "pbx_id": callback.pbx_id,
        "number": callback.number,
        "attempts": callback.attempts,
        "not_before": (
            None if callback.not_before is None else callback.not_before.isoformat()
        ),
    }


def callback_of(record: Mapping[str, Any]) -> KeptCallback:
    """The callback a record holds. Raises ValueError (KeyError, TypeError)."""
    skills = record.get("skills") or {}
    if not isinstance(skills, dict):
        raise TypeError(f"skills are not a mapping: {skills!r}")
    preferred = _optional(record.get("preferred_agent"))
    not_before = record.get("not_before")
    request = CallRequest(
        call_id=CallId(str(record["call_id"])),
        queue_id=QueueId(str(record["queue_id"])),
        skills={str(k): int(v) for k, v in skills.items()},
        priority=int(record.get("priority") or 0),
        language=_optional(record.get("language")),
        preferred_agent=None if preferred is None else AgentId(preferred),
        category=_optional(record.get("category")),
        arrived_at=_moment(record["arrived_at"]),
        pbx_id=PbxId(str(record["pbx_id"])),
    )
    return KeptCallback(
        request=request,
        pbx_id=PbxId(str(record["pbx_id"])),
        number=str(record["number"]),
        attempts=int(record.get("attempts") or 0),
        not_before=None if not_before is None else _moment(not_before),
    )


def session_record(session: AgentSession) -> dict[str, object]:
    """A session as JSON primitives."""
    return {
        "agent_id": session.agent_id,
        "state": session.state.value,
        "since": session.since.isoformat(),
        "reason": session.reason,
        "pending_pause": session.pending_pause,
        "call_id": session.call_id,
        "queue_id": session.queue_id,
        "talk_s": session.talk_s,
    }


def session_of(record: Mapping[str, Any]) -> AgentSession:
    """The session a record holds. Raises ValueError (KeyError, TypeError) when
    it is not one."""
    since = _moment(record["since"])
    call_id, queue_id = record.get("call_id"), record.get("queue_id")
    pending = record.get("pending_pause")
    talk_s = record.get("talk_s", 0.0)
    if not isinstance(talk_s, int | float):
        raise TypeError(f"talk_s is not a number: {talk_s!r}")
    return AgentSession(
        agent_id=AgentId(str(record["agent_id"])),
        state=AgentState(str(record["state"])),
        since=since,
        reason=str(record.get("reason") or ""),
        pending_pause=None if pending is None else str(pending),
        call_id=None if call_id is None else CallId(str(call_id)),
        queue_id=None if queue_id is None else QueueId(str(queue_id)),
        talk_s=float(talk_s),
    )


class JsonFileKept:
    """What the ACD keeps, in `path` (its directory is made when missing)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> Kept:
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Kept()
        except (OSError, ValueError) as error:
            log.error("ACD state in %s not read: %r", self._path, error)
            return Kept()
        if not isinstance(document, dict):
            log.error("ACD state in %s: not an object", self._path)
            return Kept()
        return Kept(
            agents=tuple(_entries(document, "agents", session_of)),
            callbacks=tuple(_entries(document, "callbacks", callback_of)),
        )

    def save(self, kept: Kept) -> None:
        document = {
            "version": VERSION,
            "agents": [session_record(s) for s in kept.agents],
            "callbacks": [callback_record(c) for c in kept.callbacks],
        }
        temporary = self._path.with_name(self._path.name + ".new")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document, indent=1), encoding="utf-8")
            os.replace(temporary, self._path)
        except OSError as error:
            log.error("ACD state not kept in %s: %r", self._path, error)


def _entries(
    document: Mapping[str, Any], name: str, read: Callable[[Mapping[str, Any]], T]
) -> Iterator[T]:
    """The readable entries of one list (others logged and skipped)."""
    records = document.get(name, [])
    if not isinstance(records, list):
        log.error("ACD state: %s is not a list", name)
        return
    for record in records:
        try:
            yield read(record)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            log.warning("ACD state: %s entry skipped: %r: %s", name, record, error)
