"""The telephony bridge: one AMI client per PBX, the call tracker fed from them,
events published in order, and `AmiPbx`, the PbxPort over those connections.

No business decisions here: it tracks calls and carries out commands.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from telephony.ami import AmiClient, AmiConfig
from telephony.ami_events import resynced
from telephony.backoff import Backoff
from telephony.calls import CallTracker, DirectionRule
from telephony.channel_events import (
    LegExpectationDropped,
    LegExpected,
    LiveChannel,
    TrackerInput,
)
from telephony.errors import PbxUnavailable
from telephony.events import PbxConnected, PbxDisconnected, TelephonyEvent
from telephony.model import Call, ChannelId, PbxId
from telephony.ports import OriginateResult, Publisher, Redirection

log = logging.getLogger(__name__)

UNKNOWN = "<unknown>"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TelephonyBridge:
    """Owns the AMI clients, the tracker and the publishing of telephony events.

    `run()` keeps every PBX connected and publishes until cancelled (give it to a
    TaskGroup). `pbx` is the PbxPort for the other modules; `live_calls()` serves
    GET /api/v1/calls."""

    def __init__(
        self,
        pbxs: Sequence[AmiConfig],
        publisher: Publisher,
        *,
        rule: DirectionRule | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.tracker = CallTracker(rule=rule)
        self._publisher = publisher
        self._clock = clock
        self._outbox: asyncio.Queue[TelephonyEvent] = asyncio.Queue()
        self.clients: dict[PbxId, AmiClient] = {
            cfg.pbx_id: AmiClient(cfg, self, backoff=backoff, clock=clock)
            for cfg in pbxs
        }
        self.pbx = AmiPbx(self)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._publish_forever())
            for client in self.clients.values():
                group.create_task(client.run())

    def live_calls(self) -> list[Call]:
        return self.tracker.live_calls()

    def now(self) -> datetime:
        return self._clock()

    def client(self, pbx_id: PbxId) -> AmiClient:
        try:
            return self.clients[pbx_id]
        except KeyError:
            raise PbxUnavailable(f"no PBX configured with id {pbx_id!r}") from None

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait until every event so far has been published (for tests)."""
        async with asyncio.timeout(timeout_s):
            await self._outbox.join()

    # --- AmiSink: called synchronously by the clients, in wire order ---

    def on_input(self, event: TrackerInput) -> None:
        for out in self.tracker.apply(event):
            self._outbox.put_nowait(out)

    def on_connection(self, pbx_id: PbxId, *, up: bool, reason: str) -> None:
        now = self._clock()
        if up:
            live = len(self.tracker.live_calls(pbx_id))
            self._outbox.put_nowait(
                PbxConnected(occurred_at=now, pbx_id=pbx_id, live_calls=live)
            )
        else:
            self._outbox.put_nowait(
                PbxDisconnected(occurred_at=now, pbx_id=pbx_id, reason=reason)
            )

    async def _publish_forever(self) -> None:
        while True:
            event = await self._outbox.get()
            try:
                await self._publisher.publish(event)
            except Exception:
                log.exception("publishing %r failed", event)
            finally:
                self._outbox.task_done()


def _opt(pairs: list[tuple[str, str]], key: str, value: str | None) -> None:
    if value:
        pairs.append((key, value))


class AmiPbx:
    """`telephony.ports.PbxPort` over the bridge's AMI connections."""

    def __init__(self, bridge: TelephonyBridge) -> None:
        self._bridge = bridge

    async def originate(
        self,
        pbx_id: PbxId,
        *,
        channel: str,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str = "",
        caller_id: str = "",
        timeout_s: float = 30.0,
        variables: Mapping[str, str] | None = None,
        channel_id: ChannelId | None = None,
        other_channel_id: ChannelId | None = None,
    ) -> OriginateResult:
        client = self._bridge.client(pbx_id)
        joins = application is not None and application.lower() == "bridge"
        if joins:
            # The new channels get a Linkedid of their own until they are
            # bridged; name them so the tracker files them under the caller's call.
            channel_id = channel_id or ChannelId(f"cc-{uuid.uuid4().hex}")
            other_channel_id = other_channel_id or ChannelId(f"{channel_id}-2")
        pairs: list[tuple[str, str]] = [("Channel", channel)]
        if application is not None:
            pairs += [("Application", application), ("Data", data)]
        else:
            _opt(pairs, "Context", context)
            _opt(pairs, "Exten", exten)
            pairs.append(("Priority", str(priority)))
        _opt(pairs, "CallerID", caller_id)
        pairs.append(("Timeout", str(int(timeout_s * 1000))))
        _opt(pairs, "ChannelId", channel_id)
        _opt(pairs, "OtherChannelId", other_channel_id)
        pairs += [("Variable", f"{k}={v}") for k, v in (variables or {}).items()]
        ids = tuple(c for c in (channel_id, other_channel_id) if c is not None)
        if joins:
            self._bridge.on_input(
                LegExpected(pbx_id=pbx_id, channel_ids=ids, joins_channel=data)
            )
        try:
            reply = await client.originate(
                pairs, timeout_s=timeout_s + client.config.action_timeout_s
            )
        finally:
            if joins:
                self._bridge.on_input(
                    LegExpectationDropped(pbx_id=pbx_id, channel_ids=ids)
                )
        uniqueid = reply.get("Uniqueid")
        reason = reply.get("Reason", "0")
        return OriginateResult(
            success=reply.get("Response") == "Success",
            channel=reply.get("Channel"),
            channel_id=ChannelId(uniqueid)
            if uniqueid and uniqueid != UNKNOWN
            else None,
            reason=int(reason) if reason.isdigit() else 0,
        )

    async def redirect(
        self,
        pbx_id: PbxId,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int = 1,
        also: Redirection | None = None,
    ) -> None:
        fields = [
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Priority", str(priority)),
        ]
        if also is not None:
            fields += [
                ("ExtraChannel", also.channel),
                ("ExtraContext", also.context),
                ("ExtraExten", also.exten),
                ("ExtraPriority", str(also.priority)),
            ]
        await self._bridge.client(pbx_id).action("Redirect", tuple(fields))

    async def hangup(self, pbx_id: PbxId, *, channel: str, cause: int = 16) -> None:
        await self._bridge.client(pbx_id).action(
            "Hangup", (("Channel", channel), ("Cause", str(cause)))
        )

    async def bridge(self, pbx_id: PbxId, *, channel1: str, channel2: str) -> None:
        await self._bridge.client(pbx_id).action(
            "Bridge", (("Channel1", channel1), ("Channel2", channel2))
        )

    async def set_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str, value: str
    ) -> None:
        pairs: list[tuple[str, str]] = []
        _opt(pairs, "Channel", channel)
        pairs += [("Variable", name), ("Value", value)]
        await self._bridge.client(pbx_id).action("Setvar", pairs)

    async def get_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str
    ) -> str | None:
        """The variable's value; None when unset (AMI cannot tell unset from empty)."""
        pairs: list[tuple[str, str]] = []
        _opt(pairs, "Channel", channel)
        pairs.append(("Variable", name))
        reply = await self._bridge.client(pbx_id).action("Getvar", pairs)
        return reply.get("Value") or None

    async def mix_monitor(
        self, pbx_id: PbxId, *, channel: str, file: str, options: str = ""
    ) -> None:
        await self._bridge.client(pbx_id).action(
            "MixMonitor", (("Channel", channel), ("File", file), ("Options", options))
        )

    async def stop_mix_monitor(self, pbx_id: PbxId, *, channel: str) -> None:
        await self._bridge.client(pbx_id).action(
            "StopMixMonitor", (("Channel", channel),)
        )

    async def mute_mix_monitor(
        self, pbx_id: PbxId, *, channel: str, muted: bool, direction: str = "both"
    ) -> None:
        await self._bridge.client(pbx_id).action(
            "MixMonitorMute",
            (
                ("Channel", channel),
                ("Direction", direction),
                ("State", "1" if muted else "0"),
            ),
        )

    async def play_dtmf(
        self, pbx_id: PbxId, *, channel: str, digit: str, duration_ms: int = 250
    ) -> None:
        await self._bridge.client(pbx_id).action(
            "PlayDTMF",
            (("Channel", channel), ("Digit", digit), ("Duration", str(duration_ms))),
        )

    async def attended_transfer(
        self, pbx_id: PbxId, *, channel: str, context: str, exten: str
    ) -> None:
        await self._bridge.client(pbx_id).action(
            "Atxfer", (("Channel", channel), ("Exten", exten), ("Context", context))
        )

    async def cancel_attended_transfer(self, pbx_id: PbxId, *, channel: str) -> None:
        await self._bridge.client(pbx_id).action(
            "CancelAtxfer", (("Channel", channel),)
        )

    async def core_show_channels(self, pbx_id: PbxId) -> list[LiveChannel]:
        """The PBX's live channels right now (`CoreShowChannels`)."""
        client = self._bridge.client(pbx_id)
        items = await client.list_action("CoreShowChannels")
        snapshot, bad = resynced(pbx_id, items, self._bridge.now())
        for item in bad:
            log.warning("pbx=%s CoreShowChannel without ids: %r", pbx_id, item)
        return list(snapshot.channels)
