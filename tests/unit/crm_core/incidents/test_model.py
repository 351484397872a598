"""Pure incident and notice decisions: draft checks, who an incident affects, which
channel reaches a customer, and template text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from crm_core.incidents.model import (
    Area,
    Incident,
    IncidentDraft,
    IncidentId,
    IncidentKind,
    IncidentStatus,
    Place,
    affects,
    check_draft,
)
from crm_core.notices.model import (
    ContactPoint,
    NoticeChannel,
    NoticeReason,
    Route,
    Templates,
    choose_route,
    render,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def incident(**changes: object) -> Incident:
    values: dict[str, object] = {
        "id": IncidentId(uuid.UUID(int=1)), "title": "down", "description": "",
        "kind": IncidentKind.OUTAGE,
        "area": Area.of(network_nodes=["N1"], buildings=["Lenina 5"], cities=[]),
        "topic_codes": frozenset({"complaint"}), "started_at": NOW,
        "expected_end_at": None, "status": IncidentStatus.OPEN, "resolution": "",
        "resolved_at": None, "resolved_by": None, "created_by": uuid.UUID(int=2),
        "created_at": NOW, "updated_at": NOW, **changes,
    }  # fmt: skip
    return Incident(**values)  # type: ignore[arg-type]  # table-driven overrides


@pytest.mark.parametrize(
    ("place", "topic", "status", "expected"),
    [
        (Place(network_node="N1"), "complaint", IncidentStatus.OPEN, True),
        (Place(network_node=" n1 "), "complaint", IncidentStatus.OPEN, True),
        (Place(building="LENINA 5"), "complaint", IncidentStatus.OPEN, True),
        (
            Place(network_node="N2", city="Tomsk"),
            "complaint",
            IncidentStatus.OPEN,
            False,
        ),
        (Place(), "complaint", IncidentStatus.OPEN, False),
        (Place(network_node="N1"), "termination", IncidentStatus.OPEN, False),
        (Place(network_node="N1"), "complaint", IncidentStatus.RESOLVED, False),
    ],
)
def test_affects_matches_area_topic_and_status_when_asked(
    place: Place, topic: str, status: IncidentStatus, expected: bool
) -> None:
    assert affects(incident(status=status), place, topic) is expected


def test_empty_names_never_match_when_area_lists_blanks() -> None:
    area = Area.of(network_nodes=["", "  "], cities=[" "])
    assert area.empty
    assert not affects(incident(area=area), Place(network_node=""), "complaint")


def test_draft_errors_name_each_field_when_several_are_wrong() -> None:
    naive = datetime(2026, 1, 5, 9, 0)  # noqa: DTZ001  # the mistake under test
    draft = IncidentDraft(title="", started_at=naive, expected_end_at=NOW)
    assert [e.field for e in check_draft(draft)] == ["title", "started_at"]
    late = IncidentDraft(title="x" * 201, started_at=NOW,
                         expected_end_at=NOW - timedelta(seconds=1))  # fmt: skip
    assert [(e.field, e.message) for e in check_draft(late)] == [
        ("title", "at most 200 characters"), ("expected_end_at", "is before the start"),
    ]  # fmt: skip
    assert check_draft(IncidentDraft(title="ok", started_at=NOW)) == []


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        (ContactPoint(preferred_channels=["email"], emails=["a@b.c"], mobiles=["+7"]),
         Route(channel=NoticeChannel.EMAIL, address="a@b.c")),
        (ContactPoint(preferred_channels=["email"], mobiles=["+7913"]),
         Route(channel=NoticeChannel.SMS, address="+7913")),
        (ContactPoint(preferred_channels=["phone"], phones=["+7383"]),
         Route(channel=NoticeChannel.CALL, address="+7383")),
        (ContactPoint(preferred_channels=["fax", "web"], emails=["a@b.c"]),
         Route(channel=NoticeChannel.EMAIL, address="a@b.c")),
        (ContactPoint(phones=["+7383"]), None),
        (ContactPoint(emails=[" "]), None),
    ],
)  # fmt: skip
def test_route_follows_preference_then_sms_then_email_when_chosen(
    point: ContactPoint, expected: Route | None
) -> None:
    assert choose_route(point) == expected


def test_text_is_filled_and_unknown_fields_stay_when_rendered() -> None:
    templates = Templates(appeal_closed_sms="$appeal_number: $comment $unknown")
    text = render(
        templates, NoticeReason.APPEAL_CLOSED, NoticeChannel.SMS,
        {"appeal_number": "AB12", "comment": "done"},
    )  # fmt: skip
    assert (text.subject, text.body) == ("", "AB12: done $unknown")
    mail = render(
        Templates(), NoticeReason.INCIDENT_RESOLVED, NoticeChannel.EMAIL,
        {"incident_title": "Node down", "resolution": "fixed", "customer_name": "Ann"},
    )  # fmt: skip
    assert mail.subject == "Resolved: Node down"
    assert mail.body.startswith("Dear Ann,")
    call = render(Templates(), NoticeReason.APPEAL_CLOSED, NoticeChannel.CALL,
                  {"appeal_number": "AB12", "comment": "ok"})  # fmt: skip
    assert call.body == "Call back about appeal AB12: ok"
