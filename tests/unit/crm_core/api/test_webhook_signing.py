"""Webhook signing and the retry schedule (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from crm_core.webhooks import model
from crm_core.webhooks.model import RetryPolicy

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRET = "k" * 32


def _signed() -> tuple[bytes, dict[str, str]]:
    delivery = uuid.uuid4()
    body = model.body_of(delivery, "appeal.created", NOW, {"appeal": "A-1"})
    headers = model.signed_headers(
        secret=SECRET, delivery_id=delivery, kind="appeal.created", now=NOW, body=body
    )
    return body, headers


def test_signature_verifies_when_nothing_changed() -> None:
    body, headers = _signed()
    assert model.verify(SECRET, body, headers, now=NOW + timedelta(seconds=30))


def test_signature_fails_when_the_body_is_altered() -> None:
    body, headers = _signed()
    assert not model.verify(SECRET, body.replace(b"A-1", b"A-2"), headers, now=NOW)


def test_signature_fails_when_replayed_later_or_restamped() -> None:
    body, headers = _signed()
    assert not model.verify(SECRET, body, headers, now=NOW + timedelta(minutes=6))
    restamped = {**headers, model.TIMESTAMP_HEADER: str(int(NOW.timestamp()) + 360)}
    later = NOW + timedelta(minutes=6)
    assert not model.verify(SECRET, body, restamped, now=later)


def test_signature_fails_when_headers_are_missing() -> None:
    body, _ = _signed()
    assert not model.verify(SECRET, body, {}, now=NOW)


@pytest.mark.parametrize(
    ("attempts", "delay_s"), [(1, 10), (2, 20), (3, 40), (8, 1280), (9, 2560)]
)
def test_retry_waits_double_when_attempts_fail(attempts: int, delay_s: int) -> None:
    policy = RetryPolicy(first_delay_s=10, factor=2, max_delay_s=3600, max_attempts=10)
    assert model.next_attempt_at(attempts, NOW, policy) == NOW + timedelta(
        seconds=delay_s
    )


def test_retry_is_capped_and_stops_when_attempts_run_out() -> None:
    policy = RetryPolicy(first_delay_s=10, factor=10, max_delay_s=60, max_attempts=3)
    assert model.next_attempt_at(2, NOW, policy) == NOW + timedelta(seconds=60)
    assert model.next_attempt_at(3, NOW, policy) is None


def test_payload_becomes_plain_json_when_it_holds_ids_and_times() -> None:
    ident = uuid.uuid4()
    assert model.jsonable({"id": ident, "at": NOW, "tags": {"b", "a"}}) == {
        "id": str(ident),
        "at": NOW.isoformat(),
        "tags": ["a", "b"],
    }
