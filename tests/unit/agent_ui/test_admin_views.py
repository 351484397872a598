"""The administration pages' data and forms (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from acd.configuration import Configuration, QueueInput, QueueInUse, SeatInput
from acd.model import OverflowKind, Strategy
from agent_ui.admin import views
from agent_ui.admin.forms import access, audit_filter, queue_input, seat_input
from crm_core.auth.accounts import ApiToken, AuditEntry, User
from crm_core.auth.model import Permission, Role
from crm_core.errors import FieldError, ValidationFailed

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)

CONFIG = Configuration(
    queues=(QueueInput(queue_id="billing"), QueueInput(queue_id="vip")),
    seats=(SeatInput(login="anna", endpoint="1001", queues={"billing": 2}),),
)


def test_seat_form_is_parsed_with_skills_languages_and_penalties_when_posted() -> None:
    seat = seat_input(
        {
            "login": " vera ", "endpoint": "1077", "pbx": "",
            "skills": "billing:5, en:3 support", "languages": "en ru",
            "queue.vip": "on", "penalty.vip": "4", "penalty.billing": "9",
        }
    )  # fmt: skip

    assert seat == SeatInput(
        login="vera",
        endpoint="1077",
        skills={"billing": 5, "en": 3, "support": 1},
        languages=["en", "ru"],
        queues={"vip": 4},
    )


def test_seat_form_names_every_bad_field_when_posted_wrong() -> None:
    with pytest.raises(ValidationFailed) as refused:
        seat_input(
            {"endpoint": "", "skills": "billing:high", "queue.vip": "on",
             "penalty.vip": "-1"},
            login="vera",
        )  # fmt: skip

    fields = {e.field for e in refused.value.errors}
    assert fields == {"skills", "endpoint", "penalty.vip"}


def test_queue_form_leaves_empty_fields_to_their_defaults_when_posted() -> None:
    queue = queue_input(
        {"strategy": "best_skill", "max_wait_s": "", "overflow_kind": "",
         "ring_timeout_s": "20"},
        queue_id="vip",
    )  # fmt: skip

    assert queue == QueueInput(
        queue_id="vip", strategy=Strategy.BEST_SKILL, ring_timeout_s=20
    )


def test_queue_form_names_the_field_when_a_number_is_wrong() -> None:
    with pytest.raises(ValidationFailed) as refused:
        queue_input({"ring_timeout_s": "0", "wrap_up_s": "soon"}, queue_id="vip")

    assert {e.field for e in refused.value.errors} == {"ring_timeout_s", "wrap_up_s"}


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("is taken", "This is taken already: choose another."),
        ("Input should be greater than 0", "Enter a larger number."),
        ("should match pattern", "Use letters, digits, dots, dashes and _ only."),
        ("must be at least 10 characters", "A password needs at least 10 characters."),
        ("Field required", "Fill this in."),
    ],
)  # fmt: skip
def test_problem_is_put_in_words_when_a_validator_says_it(
    message: str, words: str
) -> None:
    assert views.field_errors([FieldError("x", message)]) == {"x": words}


def test_queue_in_use_gives_each_reason_with_its_names_when_refused() -> None:
    reasons = views.in_use_reasons(
        QueueInUse(members=("anna", "boris"), overflow_from=("vip",), default=True,
                   waiting=3, flows=("main-en", "main-ru"))
    )  # fmt: skip

    assert [values for _, values in reasons] == [
        {"count": 3},
        {"names": "anna, boris"},
        {"names": "vip"},
        {"names": "main-en, main-ru"},
        {},
    ]


def test_queue_rows_show_words_and_counts_when_listed() -> None:
    [billing, vip] = views.queue_rows(CONFIG, lambda code: 5 if code == "vip" else 0)

    assert (billing["name"], billing["members"], billing["waiting"]) == (
        "Billing",
        1,
        0,
    )
    assert (vip["name"], vip["members"], vip["waiting"], vip["max_wait_s"]) == (
        "Vip",
        0,
        5,
        "",
    )
    assert vip["strategy"] == views.STRATEGIES[Strategy.LONGEST_IDLE]


def test_seat_form_ticks_the_seats_queues_with_their_penalties_when_opened() -> None:
    form = views.seat_form(CONFIG.seat("anna"), CONFIG)

    assert form["queues"] == [
        {"code": "billing", "name": "Billing", "member": True, "penalty": 2},
        {"code": "vip", "name": "Vip", "member": False, "penalty": 0},
    ]


def test_list_pages_by_key_when_longer_than_a_page() -> None:
    items = [f"u{n:03d}" for n in range(views.PAGE_SIZE + 3)]

    first = views.page_of(items, str, after=None)
    second = views.page_of(items, str, after=first.next_after)

    assert len(first.rows) == views.PAGE_SIZE
    assert first.next_after == items[views.PAGE_SIZE - 1]
    assert list(second.rows) == items[views.PAGE_SIZE :]
    assert second.next_after is None


def test_queue_form_of_an_overflowing_queue_shows_its_values_when_opened() -> None:
    form = views.queue_form(
        QueueInput(queue_id="vip", overflow_after_s=30.0,
                   overflow_kind=OverflowKind.TO_QUEUE, overflow_queue="billing")
    )  # fmt: skip

    assert (
        form["overflow_after_s"],
        form["overflow_kind"],
        form["overflow_queue"],
    ) == (
        "30",
        "to_queue",
        "billing",
    )
    assert form["max_wait_s"] == ""


def test_access_form_reads_permissions_groups_and_queues_when_posted() -> None:
    chosen = access(
        {"permission.report.read": "on", "permission.nonsense": "on",
         "customer_groups": "VIP, BIS", "queues": "tech  bis-tech",
         "administered_queues": ""}
    )  # fmt: skip

    assert chosen.permissions == {Permission.REPORT_READ}
    assert chosen.customer_groups == frozenset({"VIP", "BIS"})
    assert chosen.queues == {"tech", "bis-tech"}
    assert chosen.administered_queues == frozenset()
    assert (
        access({"all_groups": "on", "customer_groups": "VIP"}).customer_groups is None
    )


def test_access_form_marks_what_differs_from_the_role_when_opened() -> None:
    user = User(
        id=uuid.uuid4(), login="olga", display_name="Olga", role=Role.BACK_OFFICE,
        granted=frozenset({Permission.QUEUE_SUPERVISE}),
        revoked=frozenset({Permission.REPORT_READ}), customer_groups=None,
        queues=frozenset({"tech"}), administered_queues=frozenset(), active=True,
        has_password=True, created_at=NOW, updated_at=NOW,
    )  # fmt: skip

    form = views.access_form(user)

    rows = {row["code"]: row for row in form["permissions"]}
    assert (rows["queue.supervise"]["held"], rows["queue.supervise"]["changed"]) == (
        True,
        True,
    )
    assert (rows["report.read"]["held"], rows["report.read"]["changed"]) == (
        False,
        True,
    )
    assert (rows["appeal.read"]["held"], rows["appeal.read"]["changed"]) == (
        True,
        False,
    )
    assert form["all_groups"] is True
    assert form["queues"] == "tech"


def test_tokens_say_whether_they_still_open_the_api_when_listed() -> None:
    def token(name: str, **dates: datetime | None) -> ApiToken:
        return ApiToken(
            id=uuid.uuid4(), name=name, user_id=uuid.uuid4(),
            created_at=dates.get("created_at") or NOW,
            expires_at=dates.get("expires_at"), last_used_at=None,
            revoked_at=dates.get("revoked_at"),
        )  # fmt: skip

    rows = views.token_rows(
        [
            token("old", created_at=NOW - timedelta(days=2), revoked_at=NOW),
            token("expired", created_at=NOW - timedelta(days=1), expires_at=NOW),
            token("live", expires_at=NOW + timedelta(days=1)),
        ],
        now=NOW,
    )

    assert [(r["name"], r["state"], r["active"]) for r in rows] == [
        ("live", "In use", True),
        ("expired", "Expired", False),
        ("old", "Revoked", False),
    ]
    assert rows[0]["created"] == "2026-12-08 09:00"
    assert rows[0]["last_used"] == ""


def test_queue_form_forgets_a_target_queue_left_from_another_choice_when_posted() -> (
    None
):
    queue = queue_input(
        {"overflow_kind": "offer_callback", "overflow_after_s": "30",
         "overflow_queue": "billing", "max_wait_exit": "callback",
         "max_wait_queue": "billing"},
        queue_id="vip",
    )  # fmt: skip

    assert (queue.overflow_queue, queue.max_wait_queue) == (None, None)


def test_audit_filter_takes_whole_days_and_the_cursor_when_asked() -> None:
    entry = uuid.uuid4()

    chosen = audit_filter(
        {"action": "acd.queue.save", "since": "2026-12-01", "until": "2026-12-07",
         "after": f"2026-12-07T10:00:00+00:00|{entry}"}
    )  # fmt: skip

    assert chosen.action == "acd.queue.save"
    assert chosen.since == datetime(2026, 12, 1, tzinfo=UTC)
    assert chosen.until == datetime(2026, 12, 8, tzinfo=UTC)
    assert chosen.after == (datetime(2026, 12, 7, 10, tzinfo=UTC), entry)
    with pytest.raises(ValidationFailed) as refused:
        audit_filter({"since": "yesterday"})
    assert [e.field for e in refused.value.errors] == ["since"]


def test_audit_rows_say_what_was_done_in_words_when_listed() -> None:
    entry = AuditEntry(
        id=uuid.uuid4(), at=NOW, actor_id=None, actor_login="ivan",
        action="acd.seat.delete", object_type="acd_seat", object_id="vera",
        details={"b": 2, "a": 1},
    )  # fmt: skip

    [row] = views.audit_rows([entry])

    assert row == {
        "at": "2026-12-08 09:00", "who": "ivan", "action": "Agent's seat deleted",
        "object": "acd_seat vera", "details": "a: 1; b: 2",
    }  # fmt: skip
    assert views.audit_cursor(entry) == f"2026-12-08T09:00:00+00:00|{entry.id}"
