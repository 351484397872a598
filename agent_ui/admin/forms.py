"""The administration forms as the models that validate the save: a queue's form
is `acd.configuration.QueueInput`, a seat's `SeatInput`, a user's the fields the
auth service takes. Parsing only; empty fields are left out (the model's
default applies). Pure.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from acd.configuration import QueueInput, SeatInput
from acd.model import parse_skill
from crm_core.auth.model import Permission
from crm_core.errors import FieldError, ValidationFailed

PERMISSION_PREFIX = "permission."
"""A user form's permission checkbox: `permission.<code>` = `on`."""
QUEUE_PREFIX = "queue."
"""A seat form's queue checkbox: `queue.<code>` = `on`."""
PENALTY_PREFIX = "penalty."
"""A seat form's penalty in that queue: `penalty.<code>`."""
Form = Mapping[str, str]
M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Mapping[str, object]) -> M:
    """`data` as `model`; ValidationFailed naming each bad field as the form does."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            [FieldError(_field(e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None


def _field(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "form"
    if loc[0] == "queues" and len(loc) > 1:
        return f"{PENALTY_PREFIX}{loc[1]}"
    return str(loc[0])


def queue_input(form: Form, *, queue_id: str | None = None) -> QueueInput:
    """The queue the form describes (`queue_id` for an existing one)."""
    names = QueueInput.model_fields.keys()
    data: dict[str, object] = {
        name: value.strip()
        for name, value in form.items()
        if name in names and value.strip()
    }
    if queue_id is not None:
        data["queue_id"] = queue_id
    if data.get("overflow_kind") != "to_queue":
        data.pop("overflow_queue", None)  # a choice left from another kind
    if data.get("max_wait_exit") != "queue":
        data.pop("max_wait_queue", None)
    return validated(QueueInput, data)


def seat_input(form: Form, *, login: str | None = None) -> SeatInput:
    """The seat the form describes (`login` for an existing one): skills as
    `name:level` separated by commas or spaces, languages by spaces, and each
    queue ticked with its penalty."""
    problems: list[FieldError] = []
    skills: dict[str, object] = {}
    for item in _words(form.get("skills", "")):
        try:
            name, level = parse_skill(item)
        except ValueError:
            problems.append(FieldError("skills", "a level is a whole number"))
            continue
        skills[name] = level
    queues = {
        name.removeprefix(QUEUE_PREFIX): form.get(
            PENALTY_PREFIX + name.removeprefix(QUEUE_PREFIX), ""
        ).strip()
        or "0"
        for name, value in form.items()
        if name.startswith(QUEUE_PREFIX) and value
    }
    data: dict[str, object] = {
        "login": login if login is not None else form.get("login", "").strip(),
        "endpoint": form.get("endpoint", "").strip(),
        "pbx": form.get("pbx", "").strip() or None,
        "skills": skills,
        "languages": _words(form.get("languages", "")),
        "queues": queues,
    }
    try:
        seat = validated(SeatInput, data)
    except ValidationFailed as failed:
        raise ValidationFailed([*problems, *failed.errors]) from None
    if problems:
        raise ValidationFailed(problems)
    return seat


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """What a user may do and see, as the access form gives it."""

    permissions: frozenset[Permission]
    customer_groups: frozenset[str] | None
    """None: every group."""
    queues: frozenset[str]
    """Workflow queues the user works in."""
    administered_queues: frozenset[str]


def access(form: Form) -> Access:
    """The access form: a checkbox per permission (unknown codes ignored), the
    customer groups (or every group), the workflow queues, as lists of words."""
    known = {p.value: p for p in Permission}
    return Access(
        permissions=frozenset(
            known[name.removeprefix(PERMISSION_PREFIX)]
            for name, value in form.items()
            if value
            and name.removeprefix(PERMISSION_PREFIX) in known
            and name.startswith(PERMISSION_PREFIX)
        ),
        customer_groups=None
        if form.get("all_groups")
        else frozenset(_words(form.get("customer_groups", ""))),
        queues=frozenset(_words(form.get("queues", ""))),
        administered_queues=frozenset(_words(form.get("administered_queues", ""))),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """The audit page's filter: an action, days from and to (UTC, both
    included), and the page's cursor (the last entry's time and id)."""

    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, uuid.UUID] | None = None


def audit_filter(query: Form) -> AuditFilter:
    """The filter asked for; ValidationFailed naming a day that is not a date."""
    problems: list[FieldError] = []
    days: dict[str, datetime | None] = {}
    for name, shift in (("since", 0), ("until", 1)):
        text = query.get(name, "").strip()
        try:
            day = date.fromisoformat(text) if text else None
        except ValueError:
            problems.append(FieldError(name, "must be a date"))
            day = None
        days[name] = (
            None
            if day is None
            else datetime.combine(day + timedelta(days=shift), time(), tzinfo=UTC)
        )
    if problems:
        raise ValidationFailed(problems)
    return AuditFilter(
        action=query.get("action", "").strip() or None,
        since=days["since"],
        until=days["until"],
        after=_cursor(query.get("after", "")),
    )


def _cursor(text: str) -> tuple[datetime, uuid.UUID] | None:
    at, _, entry = text.partition("|")
    try:
        return datetime.fromisoformat(at), uuid.UUID(entry)
    except ValueError:
        return None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", text.strip()) if w]


def posted_fields(posted: Mapping[str, object]) -> dict[str, str]:
    """A posted form's text fields, the CSRF token left out."""
    return {
        name: value
        for name, value in posted.items()
        if isinstance(value, str) and name != "csrf_token"
    }


def field(form: Form, name: str) -> str:
    return form.get(name, "").strip()
