"""Pure recording decisions: file names, the caller's channel, muted spans, WAV
headers, playback rights and retention."""

from __future__ import annotations

import io
import uuid
import wave
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from recordings.model import (
    BadWav,
    Recording,
    RecordingId,
    RecordingStatus,
    closed_spans,
    file_name_for,
    may_hear,
    may_mute,
    muted,
    unmuted,
    wav_info,
)
from recordings.retention import RetentionPolicy, expired

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def recording(**changes: object) -> Recording:
    base: dict[str, object] = {
        "id": RecordingId(uuid.uuid4()), "call_id": "pbx1:1700000000.1",
        "pbx_id": "pbx1", "channel": "PJSIP/trunk-00000001",
        "file_name": "pbx1_1700000000.1.wav", "status": RecordingStatus.READY,
        "started_at": T0,
    }  # fmt: skip
    base.update(changes)
    return Recording(**base)  # type: ignore[arg-type]  # test builder over kwargs


def wav_bytes(frames: int, *, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * frames)
    return out.getvalue()


@pytest.mark.parametrize(
    ("call_id", "expected"),
    [
        ("pbx1:1700000000.12", "pbx1_1700000000.12.wav"),
        ("pbx-2:asterisk-1700000000.3", "pbx-2_asterisk-1700000000.3.wav"),
        ("../../etc/passwd", "_.._etc_passwd.wav"),
        ("...", "call.wav"),
    ],
)
def test_file_name_is_safe_when_call_id_has_separators(
    call_id: str, expected: str
) -> None:
    name = file_name_for(call_id)
    assert name == expected
    assert "/" not in name
    assert ":" not in name


def test_muted_spans_record_each_gap_when_paused_and_resumed() -> None:
    r = recording(status=RecordingStatus.RECORDING)
    r = muted(r, at=T0 + timedelta(seconds=10))
    assert r.muted
    assert muted(r, at=T0 + timedelta(seconds=11)) == r
    r = unmuted(r, at=T0 + timedelta(seconds=20))
    assert not r.muted
    assert unmuted(r, at=T0 + timedelta(seconds=21)) == r
    r = closed_spans(
        muted(r, at=T0 + timedelta(seconds=30)), at=T0 + timedelta(seconds=40)
    )
    spans = [(s.started_at - T0, s.ended_at) for s in r.muted_spans]
    assert spans == [
        (timedelta(seconds=10), T0 + timedelta(seconds=20)),
        (timedelta(seconds=30), T0 + timedelta(seconds=40)),
    ]


def test_wav_duration_comes_from_the_header_when_the_file_is_complete() -> None:
    data = wav_bytes(12000)
    info = wav_info(data[:4096], size_bytes=len(data))
    assert info.frames == 12000
    assert info.duration_s == pytest.approx(1.5)


def test_wav_duration_comes_from_the_size_when_the_header_was_never_finalised() -> None:
    data = bytearray(wav_bytes(8000))
    data[40:44] = b"\x00\x00\x00\x00"
    info = wav_info(bytes(data[:4096]), size_bytes=len(data))
    assert info.duration_s == pytest.approx(1.0)


def test_wav_has_no_frames_when_only_the_44_byte_header_was_written() -> None:
    data = wav_bytes(0)
    assert len(data) == 44
    assert wav_info(data, size_bytes=44).frames == 0


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage bytes that are not a wav", b"RIFF\x00\x00\x00\x00WAVEdata"],
)
def test_wav_info_raises_bad_wav_when_bytes_are_not_a_wav(data: bytes) -> None:
    with pytest.raises(BadWav):
        wav_info(data, size_bytes=len(data))


def actor(role: Role, user_id: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=user_id or uuid.uuid4(), login=role.value, role=role,
        permissions=ROLE_PERMISSIONS[role],
    )  # fmt: skip


def test_agent_hears_only_calls_they_were_on_when_checked() -> None:
    me, colleague = uuid.uuid4(), uuid.uuid4()
    agent = actor(Role.AGENT, me)
    assert may_hear(agent, agent_ids=(me,), customer_group=None)
    assert may_hear(agent, agent_ids=(colleague, me), customer_group=None), "to them"
    assert may_hear(agent, agent_ids=(me, colleague), customer_group=None), "by them"
    assert not may_hear(agent, agent_ids=(colleague,), customer_group=None)
    assert not may_hear(agent, agent_ids=(), customer_group=None)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.BACK_OFFICE])
def test_supervisor_and_back_office_hear_every_call_when_checked(role: Role) -> None:
    assert may_hear(actor(role), agent_ids=(uuid.uuid4(),), customer_group="VIP")
    assert may_hear(actor(role), agent_ids=(), customer_group=None)


@pytest.mark.parametrize(
    ("groups", "group", "heard"),
    [
        (frozenset({"mass"}), "mass", True),
        (frozenset({"mass"}), "VIP", False),
        (frozenset({"mass"}), None, False),
        (frozenset({"mass", ""}), None, True),
        (frozenset(), "mass", False),
    ],
)
def test_listen_all_follows_customer_groups_when_the_listener_is_limited(
    groups: frozenset[str], group: str | None, heard: bool
) -> None:
    listener = replace(actor(Role.SUPERVISOR), customer_groups=groups)
    assert may_hear(listener, agent_ids=(), customer_group=group) is heard


def test_own_call_is_heard_whatever_its_group_when_the_agent_took_it() -> None:
    me = uuid.uuid4()
    agent = replace(actor(Role.AGENT, me), customer_groups=frozenset({"mass"}))
    assert may_hear(agent, agent_ids=(me,), customer_group="VIP")


def test_marketing_hears_nothing_when_checked() -> None:
    assert not may_hear(actor(Role.MARKETING), agent_ids=(), customer_group=None)


@pytest.mark.parametrize(
    ("role", "on_the_call", "allowed"),
    [
        (Role.AGENT, True, True),
        (Role.AGENT, False, False),
        (Role.SUPERVISOR, False, True),
        (Role.BACK_OFFICE, True, False),
        (Role.MARKETING, True, False),
    ],
)
def test_only_the_agent_on_the_call_or_a_supervisor_pauses_when_asked(
    role: Role, on_the_call: bool, allowed: bool
) -> None:
    assert may_mute(actor(role), on_the_call=on_the_call) is allowed


def test_retention_picks_old_finished_recordings_when_past_the_age() -> None:
    now = T0 + timedelta(days=100)
    old = recording(started_at=T0)
    older = recording(started_at=T0 - timedelta(days=1), status=RecordingStatus.MISSING)
    fresh = recording(started_at=now - timedelta(days=10))
    live = recording(started_at=T0, status=RecordingStatus.RECORDING)
    gone = recording(started_at=T0, status=RecordingStatus.DELETED)
    chosen = expired(
        [old, fresh, live, gone, older], RetentionPolicy(keep_days=90), now=now
    )
    assert chosen == [older.id, old.id]


def test_retention_keeps_everything_when_keep_days_is_zero() -> None:
    old = recording(started_at=T0 - timedelta(days=1000))
    assert expired([old], RetentionPolicy(keep_days=0), now=T0) == []
