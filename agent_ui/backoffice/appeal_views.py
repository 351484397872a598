"""What the appeal page shows, from the appeal desk's answer: the header, the
attributes as the appeal's form (editable or not, as its rules and the viewer's
rights say), the steps the viewer may take with the form that failed kept as
typed, every step of its history in words, its files, contacts and child
appeals. Texts are catalogue message ids or the CRM's own data. Pure.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent_ui import labels
from agent_ui.agent.views import (
    Shown,
    appeal_number,
    card_view,
    field_view,
    past_view,
    topic_choices,
)
from agent_ui.backoffice.appeal import AppealPage
from agent_ui.backoffice.views import Words, age, queue_label, stamp
from agent_ui.labels import N_
from crm_core.appeals.attributes import FieldState
from crm_core.appeals.model import (
    Appeal,
    AppealAction,
    AppealStatus,
    Dictionary,
    HistoryEntry,
    Route,
)
from crm_core.auth.directory import Person

View = dict[str, Any]
A = AppealAction
SYSTEM = uuid.UUID(int=0)

DONE: Mapping[str, str] = {
    "take": N_("The appeal is yours now."),
    "assign": N_("The appeal is given."),
    "pass_on": N_("The appeal is passed on."),
    "reject": N_("The appeal is returned to the previous stage."),
    "close": N_("The appeal is closed."),
    "reopen": N_("The appeal is reopened."),
    "deadline": N_("The deadline is moved."),
    "edit": N_("The changes are saved."),
    "child": N_("The child appeal is registered."),
}
NOT_SAVED = N_("Nothing was saved: correct the fields marked.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Active:
    """The step form the viewer sent: kept as typed, with its problems."""

    form: str
    typed: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    """Field name to a message id."""


def appeal_view(
    page: AppealPage,
    *,
    me: uuid.UUID,
    now: datetime,
    active: Active | None = None,
    shown: Shown | None = None,
) -> View:
    view = page.view
    a = view.appeal
    owner = page.people.get(a.assignee_id) if a.assignee_id else None
    return {
        "id": str(a.id),
        "number": appeal_number(a.id),
        "version": a.version,
        "topic": view.topic.name,
        "status": labels.label(labels.APPEAL_STATUSES, a.status.value),
        "status_code": a.status.value,
        "closed": a.status is AppealStatus.CLOSED,
        "stage": _stage_name(view.route, a.stage),
        "queue": queue_label(a.queue),
        "owner": owner.name if owner else "",
        "mine": a.assignee_id == me,
        "deadline": stamp(a.deadline_at),
        "overdue": a.overdue and a.status is not AppealStatus.CLOSED,
        "created": stamp(a.created_at),
        "age": age(a.created_at, now),
        "closed_at": stamp(a.closed_at),
        "archived": a.archived,
        "parent": _link(a.parent_id),
        "customer": card_view(page.customer) if page.customer else None,
        "description": a.description,
        "attributes": attributes_view(page, shown or Shown(), active),
        "steps": steps_view(page, active),
        "history": history_view(view.history, view.route, page.people, page),
        "attachments": [
            {
                "name": f.name,
                "url": f"/api/v1/attachments/{f.id}",
                "size": size(f.size_bytes),
                "who": _name(page.people, f.created_by, ""),
                "at": stamp(f.created_at),
            }
            for f in page.attachments
        ],
        "upload_limit": page.upload_limit_bytes,
        "upload_limit_words": size(page.upload_limit_bytes),
        "contacts": [past_view(p, this_call="") for p in page.contacts],
        "children": [
            child_row(c, page.topic_names, page.people) for c in view.children
        ],
    }


def _link(appeal_id: uuid.UUID | None) -> View | None:
    if appeal_id is None:
        return None
    return {"id": str(appeal_id), "number": appeal_number(appeal_id)}


def _stage_name(route: Route, code: str) -> str:
    stage = next((s for s in route.stages if s.code == code), None)
    return stage.name if stage is not None else labels.readable(code)


def _name(people: Mapping[uuid.UUID, Person], who: uuid.UUID, login: str) -> str:
    person = people.get(who)
    return person.name if person is not None else login


def size(count: int) -> Words:
    """A file size in bytes, kilobytes or megabytes (rounded)."""
    if count < 1024:
        return N_("%(n)s bytes"), count
    if count < 1024 * 1024:
        return N_("%(n)s KB"), round(count / 1024)
    return N_("%(n)s MB"), round(count / (1024 * 1024))


def child_row(
    child: Appeal, topics: Mapping[uuid.UUID, str], people: Mapping[uuid.UUID, Person]
) -> View:
    owner = people.get(child.assignee_id) if child.assignee_id else None
    return {
        "id": str(child.id),
        "number": appeal_number(child.id),
        "topic": topics.get(child.topic_id, ""),
        "status": labels.label(labels.APPEAL_STATUSES, child.status.value),
        "status_code": child.status.value,
        "owner": owner.name if owner else "",
        "deadline": stamp(child.deadline_at),
        "description": child.description,
    }


# attributes -------------------------------------------------------------------


def attributes_view(page: AppealPage, shown: Shown, active: Active | None) -> View:
    """The appeal's attributes as its form: editable while the viewer may edit
    it (read-only fields stay fixed), else as values to read."""
    view = page.view
    problems = {e.field: e.message for e in view.form.errors}
    typed = active.typed if active is not None and active.form == "edit" else {}
    editable = view.allowed.edit
    fields = [
        {
            **field_view(state, typed, view.dictionaries, problems, shown),
            "shown_value": value_words(state, view.dictionaries),
        }
        for state in view.form.states
        if not state.hidden
    ]
    return {
        "editable": editable,
        "fields": fields,
        "description": typed.get("description", view.appeal.description),
        "description_error": (active.errors.get("description") if active else None),
    }


def value_words(
    state: FieldState, dictionaries: Mapping[str, Dictionary]
) -> tuple[str, bool]:
    """An attribute's value as a person reads it, and whether that is a message
    id (yes or no) rather than data."""
    value = state.value
    listed = dictionaries.get(state.definition.dictionary_code or "")
    if isinstance(value, bool):
        return (N_("Yes") if value else N_("No")), True
    if isinstance(value, str) and listed is not None:
        return next((i.label for i in listed.items if i.code == value), value), False
    return ("" if value is None else str(value)), False


# steps ------------------------------------------------------------------------


def steps_view(page: AppealPage, active: Active | None) -> View:
    allowed = page.view.allowed
    route = page.view.route
    return {
        "take": allowed.take,
        "assign": allowed.assign and bool(page.assignable),
        "people": [(str(p.id), p.name) for p in page.assignable],
        "moves": [
            (t.name, labels.readable(t.name), _stage_name(route, t.to_stage))
            for t in allowed.moves
        ],
        "reject": allowed.reject,
        "close": allowed.close,
        "reopen": allowed.reopen,
        "deadline": allowed.deadline,
        "child": allowed.child,
        "child_topics": topic_choices(page.topics) if allowed.child else None,
        "none": not allowed.any,
        "active": active.form if active else "",
        "typed": dict(active.typed) if active else {},
        "errors": dict(active.errors) if active else {},
    }


# history ----------------------------------------------------------------------

DEADLINE_NOTE = re.compile(r"^deadline (\S+)(?:: (.*))?$", re.DOTALL)
ATTACHED_NOTE = re.compile(r"^(.*) \((\d+) bytes\)$", re.DOTALL)
EDIT_NOTE = "changed "


def history_view(
    entries: Sequence[HistoryEntry],
    route: Route,
    people: Mapping[uuid.UUID, Person],
    page: AppealPage,
) -> list[View]:
    """Every step, newest first, in words: who, when, what and their note."""
    attribute_names = {
        s.definition.code: s.definition.label for s in page.view.form.states
    }
    return [entry_view(e, route, people, attribute_names) for e in reversed(entries)]


def entry_view(
    e: HistoryEntry,
    route: Route,
    people: Mapping[uuid.UUID, Person],
    attribute_names: Mapping[str, str],
) -> View:
    what, args, note = _what(e, route, people)
    changed: list[tuple[str, bool]] = []
    if e.action is A.EDIT and e.comment.startswith(EDIT_NOTE):
        codes = e.comment.removeprefix(EDIT_NOTE).split(", ")
        changed = [
            (N_("description"), True)
            if code == "description"
            else (attribute_names.get(code, labels.readable(code)), False)
            for code in codes
        ]
    return {
        "at": stamp(e.at),
        "who": "" if e.actor_id == SYSTEM else _name(people, e.actor_id, e.actor_login),
        "by_system": e.actor_id == SYSTEM,
        "what": what,
        "args": args,
        "note": note,
        "changed": changed,
        "queue": queue_label(e.to_queue)
        if e.to_queue and e.to_queue != e.from_queue
        else "",
    }


def _what(
    e: HistoryEntry, route: Route, people: Mapping[uuid.UUID, Person]
) -> tuple[str, dict[str, object], str]:
    """The step's message id, its arguments and the person's own note."""
    stage = _stage_name(route, e.to_stage or "")
    match e.action:
        case A.CREATE:
            return N_("Registered at %(stage)s"), {"stage": stage}, e.comment
        case A.TAKE:
            return N_("Taken"), {}, e.comment
        case A.ASSIGN:
            whom = _name(people, e.to_assignee_id, "") if e.to_assignee_id else ""
            return N_("Given to %(person)s"), {"person": whom}, e.comment
        case A.FORWARD:
            return N_("Passed on to %(stage)s"), {"stage": stage}, e.comment
        case A.REJECT:
            return N_("Returned to %(stage)s"), {"stage": stage}, e.comment
        case A.CLOSE:
            return N_("Closed"), {}, e.comment
        case A.REOPEN:
            return N_("Reopened"), {}, e.comment
        case A.SET_DEADLINE:
            found = DEADLINE_NOTE.match(e.comment)
            when = _moment_text(found.group(1)) if found else ""
            note = (found.group(2) or "") if found else e.comment
            return N_("Deadline moved to %(when)s"), {"when": when}, note
        case A.OVERDUE:
            return N_("Became overdue"), {}, ""
        case A.ARCHIVE:
            return N_("Archived"), {}, ""
        case A.ATTACH:
            attached = ATTACHED_NOTE.match(e.comment)
            name = attached.group(1) if attached else e.comment
            return N_("File attached: %(name)s"), {"name": name}, ""
        case A.EDIT:
            return N_("Changed"), {}, ""


def _moment_text(text: str) -> str:
    try:
        return stamp(datetime.fromisoformat(text))
    except ValueError:
        return text
