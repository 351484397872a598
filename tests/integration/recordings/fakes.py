"""Fakes for the recordings service: a PBX that keeps what it was told, the CRM's
view of calls held in a dict, and the agents on calls."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from recordings.ports import CallContact
from telephony.errors import PbxError
from telephony.model import ChannelId, PbxId
from telephony.ports import OriginateResult, Redirection


@dataclass(slots=True)
class FakePbx:
    """PbxPort that records the recording commands; `refuse` makes them fail."""

    commands: list[tuple[str, str, str]] = field(default_factory=list)
    refuse: str | None = None

    def _do(self, name: str, channel: str, arg: str = "") -> None:
        if self.refuse is not None:
            raise PbxError(self.refuse)
        self.commands.append((name, channel, arg))

    async def originate(
        self, pbx_id: PbxId, *, channel: str, context: str | None = None,
        exten: str | None = None, priority: int = 1, application: str | None = None,
        data: str = "", caller_id: str = "", timeout_s: float = 30.0,
        variables: Mapping[str, str] | None = None,
        channel_id: ChannelId | None = None,
        other_channel_id: ChannelId | None = None,
    ) -> OriginateResult:  # fmt: skip
        raise PbxError("not supported by this fake")

    async def redirect(
        self, pbx_id: PbxId, *, channel: str, context: str, exten: str,
        priority: int = 1, also: Redirection | None = None,
    ) -> None:  # fmt: skip
        self._do("Redirect", channel)

    async def hangup(self, pbx_id: PbxId, *, channel: str, cause: int = 16) -> None:
        self._do("Hangup", channel)

    async def bridge(self, pbx_id: PbxId, *, channel1: str, channel2: str) -> None:
        self._do("Bridge", channel1, channel2)

    async def set_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str, value: str
    ) -> None:
        self._do("Setvar", channel or "", name)

    async def get_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str
    ) -> str | None:
        return None

    async def mix_monitor(
        self, pbx_id: PbxId, *, channel: str, file: str, options: str = ""
    ) -> None:
        self._do("MixMonitor", channel, file)

    async def stop_mix_monitor(self, pbx_id: PbxId, *, channel: str) -> None:
        self._do("StopMixMonitor", channel)

    async def mute_mix_monitor(
        self, pbx_id: PbxId, *, channel: str, muted: bool, direction: str = "both"
    ) -> None:
        self._do("MixMonitorMute", channel, "1" if muted else "0")

    async def play_dtmf(
        self, pbx_id: PbxId, *, channel: str, digit: str, duration_ms: int = 250
    ) -> None:
        self._do("PlayDTMF", channel, digit)

    async def attended_transfer(
        self, pbx_id: PbxId, *, channel: str, context: str, exten: str
    ) -> None:
        self._do("Atxfer", channel, f"{exten}@{context}")

    async def cancel_attended_transfer(self, pbx_id: PbxId, *, channel: str) -> None:
        self._do("CancelAtxfer", channel)


@dataclass(slots=True)
class FakeCallAgents:
    """CallAgents: which call each agent (by login) is connected to."""

    on_call: dict[str, str] = field(default_factory=dict)

    def is_on_call(self, agent_login: str, call_id: str) -> bool:
        return self.on_call.get(agent_login) == call_id


@dataclass(slots=True)
class FakeCallContacts:
    by_call: dict[str, CallContact] = field(default_factory=dict)

    async def of_call(self, call_id: str) -> CallContact | None:
        return self.by_call.get(call_id)

    async def of_contact(self, contact_id: uuid.UUID) -> CallContact | None:
        found = [c for c in self.by_call.values() if c.contact_id == contact_id]
        return found[0] if found else None
