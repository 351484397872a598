"""The search filter at the boundary and the keyset cursor: pure checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from crm_core.appeals.model import AppealStatus
from crm_core.reports.errors import BadCursor, BadFilter
from crm_core.reports.filters import parse_filter
from crm_core.reports.model import Cursor, SortOrder, decode_cursor, encode_cursor

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def fields(raw: dict[str, object]) -> list[str]:
    with pytest.raises(BadFilter) as caught:
        parse_filter(raw)
    return [e.field for e in caught.value.errors]


def test_filter_parses_json_like_input_when_valid() -> None:
    topic = uuid.uuid4()
    flt = parse_filter({
        "topic_ids": [str(topic)], "statuses": ["waiting", "closed"],
        "created_from": "2026-01-01T00:00:00Z", "sort": "deadline_asc",
        "attributes": [{"code": "Speed", "gte": "10.5"}],
    })  # fmt: skip
    assert flt.topic_ids == (topic,)
    assert flt.statuses == (AppealStatus.WAITING, AppealStatus.CLOSED)
    assert flt.created_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert flt.sort is SortOrder.DEADLINE_ASC
    assert flt.include_archived is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"statuses": ["lost"]}, ["statuses[0]"]),
        ({"topic_ids": ["not-a-uuid"]}, ["topic_ids[0]"]),
        ({"created_from": "2026-01-01T00:00:00"}, ["created_from"]),
        ({"created_from": "2026-01-02T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
         ["created_to"]),
        ({"colour": "red"}, ["colour"]),
        ({"attributes": [{"code": "Speed"}]}, ["attributes[0]"]),
        ({"attributes": [{"code": "Speed", "eq": 1, "lte": 2}]}, ["attributes[0]"]),
        ({"text": ""}, ["text"]),
        ({"sort": "random"}, ["sort"]),
    ],
)  # fmt: skip
def test_filter_names_the_bad_field_when_input_is_wrong(
    raw: dict[str, object], expected: list[str]
) -> None:
    assert fields(raw) == expected


def test_cursor_round_trips_when_given_back() -> None:
    cursor = Cursor(sort=SortOrder.CREATED_DESC, key=T0, id=uuid.uuid4())
    assert decode_cursor(encode_cursor(cursor), SortOrder.CREATED_DESC) == cursor
    no_deadline = Cursor(sort=SortOrder.DEADLINE_ASC, key=None, id=uuid.uuid4())
    text = encode_cursor(no_deadline)
    assert decode_cursor(text, SortOrder.DEADLINE_ASC) == no_deadline


@pytest.mark.parametrize(
    "text", ["", "!!!", "Y3JlYXRlZF9kZXNjfHx4", encode_cursor(
        Cursor(sort=SortOrder.DEADLINE_ASC, key=None, id=uuid.UUID(int=1)))],
)  # fmt: skip
def test_cursor_is_refused_when_not_given_out_for_this_sort(text: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(text, SortOrder.CREATED_DESC)
