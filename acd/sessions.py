"""`JsonFileSessions`, the `acd.ports.SessionStore` in a local JSON file: the agents'
sessions, replaced whole and atomically (a service killed mid-write leaves the
previous file). Stores only; what a session holds is `acd.model.AgentSession`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from acd.model import AgentId, AgentSession, AgentState, QueueId
from telephony.model import CallId

log = logging.getLogger(__name__)

VERSION = 1


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


def session_of(record: Mapping[str, object]) -> AgentSession:
    """The session a record holds. Raises ValueError (KeyError, TypeError) when
    it is not one."""
    since = datetime.fromisoformat(str(record["since"]))
    if since.tzinfo is None:
        raise ValueError(f"since without a time zone: {record['since']!r}")
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


class JsonFileSessions:
    """Sessions in `path` (its directory is made when missing)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> list[AgentSession]:
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            log.error("agent sessions in %s not read: %r", self._path, error)
            return []
        records = document.get("agents") if isinstance(document, dict) else None
        if not isinstance(records, list):
            log.error("agent sessions in %s: no list of agents", self._path)
            return []
        sessions: list[AgentSession] = []
        for record in records:
            try:
                sessions.append(session_of(record))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                log.warning("agent session skipped: %r: %s", record, error)
        return sessions

    def save(self, sessions: Sequence[AgentSession]) -> None:
        document = {
            "version": VERSION,
            "agents": [session_record(s) for s in sessions],
        }
        temporary = self._path.with_name(self._path.name + ".new")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document, indent=1), encoding="utf-8")
            os.replace(temporary, self._path)
        except OSError as error:
            log.error("agent sessions not kept in %s: %r", self._path, error)
