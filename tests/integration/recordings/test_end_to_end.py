"""The whole recording path through the service as `serve` composes it, against the
PBX simulator: a queued caller answered by agent anna, MixMonitor on the caller
when bridged, a pause and resume by the agent, the hangup, the real WAV attached to
the call's contact, listed and played back over HTTP with Range and rights: anna
was on the call and hears it, the supervisor hears every call, boris does not. Runs
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from telephony.sim.model import Caller
from telephony.sim.wav import read_pcm
from tests.integration.spine import ANNA, BORIS, FALLBACK_DNIS, Spine, running
from tests.waiting import eventually


@pytest.fixture
async def spine(database_url: str, tmp_path: Path) -> AsyncIterator[Spine]:
    async with running(database_url, tmp_path) as it:
        yield it


@dataclass(frozen=True)
class Recorded:
    call_id: str
    caller: str
    """The caller's channel, the one MixMonitor runs on."""
    file: Path
    item: dict[str, Any]
    """The recording as the API lists it, once ready."""


async def record_a_call(spine: Spine) -> Recorded:
    """anna answers a caller; 0.6 s talk, 0.4 s paused by anna, then the caller
    hangs up."""
    await spine.logged_in(ANNA)
    placed, call = await spine.call(
        Caller(ani="+74951234567", dnis=FALLBACK_DNIS, digits="9",
               digit_delay_s=0.05, patience_s=None, talk_s=600)
    )  # fmt: skip

    async def recording() -> list[dict[str, Any]]:
        found = await spine.json(f"/api/v1/recordings?call_id={call}", "sveta")
        items: list[dict[str, Any]] = found["items"]
        return items

    await eventually(recording)
    [mix] = [a for a in spine.sim.actions if a.action == "MixMonitor"]
    caller = mix.get("Channel")
    file = spine.settings.recordings_dir / f"pbx1_{placed.linkedid}.wav"
    await eventually(lambda: _longer_than(file, 0.6))
    await _mute(spine, call, muted=True)
    # the pause from the moment it took effect: a busy machine may answer late
    paused_at = await _seconds(file)
    await eventually(lambda: _longer_than(file, paused_at + 0.4))
    await _mute(spine, call, muted=False)
    assert spine.sim.hangup(placed.uniqueid)

    async def ready() -> dict[str, Any] | None:
        found = [r for r in await recording() if r["status"] == "ready"]
        return found[0] if found else None

    return Recorded(call, caller, file, await eventually(ready))


async def _mute(spine: Spine, call: str, *, muted: bool) -> None:
    async with spine.http.post(
        spine.base + "/api/v1/recordings/mute",
        json={"call_id": call, "muted": muted},
        headers={"Authorization": f"Bearer {spine.tokens[ANNA]}"},
    ) as response:
        assert response.status == 200, await response.text()


async def test_bridged_call_is_recorded_and_attached_when_it_ends(
    spine: Spine,
) -> None:
    done = await record_a_call(spine)

    item = done.item
    contact = await spine.contact(done.call_id)
    assert contact is not None
    assert item["contact_id"] == str(contact.id)
    assert item["duration_s"] is not None
    assert item["duration_s"] >= 1.0
    assert item["size_bytes"] == done.file.stat().st_size
    mix = [a for a in spine.sim.actions if a.action in ("MixMonitor", "MixMonitorMute")]
    assert [a.get("Channel") for a in mix] == [done.caller] * 3
    assert [a.get("State") for a in mix[1:]] == ["1", "0"]
    assert done.caller.startswith(f"Local/{FALLBACK_DNIS}@cc-inbound-")
    pcm = read_pcm(done.file)
    assert max(pcm[: 16000 // 2]) > 0, "talk before the pause is audible"
    assert b"\x00\x00" * 1600 in pcm, "the pause left at least 0.1 s of silence"
    [span] = item["muted_spans"]
    assert span["ended_at"] is not None

    mine = await spine.json(f"/api/v1/recordings?call_id={done.call_id}", ANNA)
    assert [i["id"] for i in mine["items"]] == [item["id"]]
    by_contact = await spine.json(
        f"/api/v1/recordings?contact_id={contact.id}", "sveta"
    )
    assert [i["id"] for i in by_contact["items"]] == [item["id"]]
    theirs = await spine.json(f"/api/v1/recordings?call_id={done.call_id}", BORIS)
    assert theirs["items"] == []


async def test_recording_plays_with_range_for_those_allowed_when_requested(
    spine: Spine,
) -> None:
    done = await record_a_call(spine)
    audio = f"/api/v1/recordings/{done.item['id']}/audio"
    size = done.item["size_bytes"]
    assert size is not None

    async with await spine.get(audio, ANNA, Range="bytes=0-99") as part:
        assert part.status == 206
        assert part.headers["Content-Range"] == f"bytes 0-99/{size}"
        body = await part.read()
    assert len(body) == 100
    assert body[:4] == b"RIFF"
    async with await spine.get(audio, ANNA, Range="bytes=-10") as tail:
        assert tail.status == 206
        assert await tail.read() == done.file.read_bytes()[-10:]
    async with await spine.get(audio, "sveta") as whole:
        assert whole.status == 200
        assert whole.headers["Content-Type"] == "audio/wav"
        assert await whole.read() == done.file.read_bytes()
    async with await spine.get(audio, ANNA, Range=f"bytes={size + 10}-") as beyond:
        assert beyond.status == 416
    async with await spine.get(audio, BORIS) as stranger:
        assert stranger.status == 403
        assert (await stranger.json())["error_id"] == "forbidden"

    done.file.unlink()
    async with await spine.get(audio, "sveta") as gone:
        assert gone.status == 410
        assert (await gone.json())["status"] == "missing"


async def _longer_than(path: Path, seconds: float) -> bool:
    return await _seconds(path) > seconds


async def _seconds(path: Path) -> float:
    """The 8 kHz 16-bit mono audio after the 44-byte header, in seconds."""
    size = await asyncio.to_thread(lambda: path.stat().st_size if path.exists() else 0)
    return max(0, size - 44) / 16000
