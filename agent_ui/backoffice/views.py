"""What the back office's list and customer templates show, from the services'
answers: the work lists with their filters and pages, the results of a bulk
step, a refusal in words, the customer search and the customer's card. Texts
are catalogue message ids (the templates translate them) or the CRM's own data;
codes never reach the page. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from agent_ui import labels
from agent_ui.agent.views import appeal_number, card_view, past_view
from agent_ui.backoffice.customers import CustomerPage
from agent_ui.backoffice.forms import FIRST_PAGE, ListForm
from agent_ui.backoffice.worklists import ListPage, Names
from agent_ui.labels import N_
from crm_core.appeals.model import AppealStatus, Route
from crm_core.customers.model import CustomerSummary, Page
from crm_core.errors import FieldError
from crm_core.reports.bulk import BulkResult
from crm_core.reports.model import AppealHit, SortOrder
from crm_core.reports.worklists import Worklist

View = dict[str, Any]
Words = tuple[str, int]
"""A message id with one number in it (`%(n)s`), e.g. an age."""

LISTS: Mapping[Worklist, str] = {
    Worklist.MINE: N_("Waiting for me"),
    Worklist.QUEUES: N_("My queues"),
    Worklist.OVERDUE: N_("Overdue"),
    Worklist.ALL: N_("All appeals"),
}
EMPTY: Mapping[Worklist, str] = {
    Worklist.MINE: N_("Nothing waits for you: take an appeal from your queues."),
    Worklist.QUEUES: N_("No appeal waits in your queues."),
    Worklist.OVERDUE: N_("Nothing in your queues is overdue."),
    Worklist.ALL: N_("No appeal matches."),
}
SORTS: Mapping[SortOrder, str] = {
    SortOrder.DEADLINE_ASC: N_("Nearest deadline first"),
    SortOrder.CREATED_DESC: N_("Newest first"),
}
COUNT_CAP = 999
BULK_DONE: Mapping[str, str] = {
    "assign": N_("Given."),
    "pass_on": N_("Passed on."),
    "close": N_("Closed."),
}
CHANGED_MEANWHILE = N_("Someone changed it meanwhile; it is shown as it is now.")
REFUSALS: tuple[tuple[str, str], ...] = (
    ("is at version", CHANGED_MEANWHILE),
    ("was changed by someone else", CHANGED_MEANWHILE),
    ("already taken", N_("It has been taken already.")),
    ("is closed", N_("It is closed.")),
    ("closing is not allowed", N_("Its stage does not allow closing.")),
    ("child appeal(s) are still open", N_("Its child appeals are still open.")),
    ("nowhere back to go", N_("It is at its first stage: nowhere to return it to.")),
    ("only a closed appeal", N_("Only a closed appeal can be reopened.")),
    ("has no transition", N_("Its route does not allow this move now.")),
    ("is not allowed:", N_("Its route does not allow this move now.")),
    ("no transition from stage", N_("Its route allows no move from here.")),
    ("no queue's rule holds", N_("No queue of the next stage takes this appeal.")),
    ("failed:", N_("A rule of its route failed; tell the route's administrator.")),
    ("assignee_id: is not a member", N_("That person does not work in its queue.")),
    ("is not a member of queue", N_("You do not work in its queue.")),
    ("does not administer", N_("You do not administer its queue.")),
    ("neither handles", N_("It is not yours, and you do not administer its queue.")),
    ("lacks the right", N_("Your role may not do this.")),
    ("outside your customer groups", N_("You may not see it.")),
    ("no appeal", N_("It is not found.")),
)  # fmt: skip
"""What the workflow says when it refuses a step, in words (first match wins)."""
REFUSED = N_("This is not allowed now.")


def refusal(message: str) -> str:
    """The message id for a service's refusal of a step on an appeal."""
    for fragment, words in REFUSALS:
        if fragment in message:
            return words
    return REFUSED


def stamp(moment: datetime | None) -> str:
    """A moment as people read it: `2026-01-05 09:00` (UTC)."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def age(since: datetime, now: datetime) -> Words:
    """How long ago, roughly: minutes, then hours, then days."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return N_("%(n)s min"), minutes
    hours = minutes // 60
    if hours < 48:
        return N_("%(n)s h"), hours
    return N_("%(n)s d"), hours // 24


def queue_label(queue: str | None) -> str:
    return labels.label(labels.APPEAL_QUEUES, queue)


def stage_names(routes: Iterable[Route]) -> dict[tuple[uuid.UUID, str], str]:
    """Each topic's stage names by code (a newer route version's name wins)."""
    names: dict[tuple[uuid.UUID, str], str] = {}
    for route in sorted(routes, key=lambda r: r.version):
        for stage in route.stages:
            names[(route.topic_id, stage.code)] = stage.name
    return names


def errors_view(errors: Sequence[FieldError]) -> dict[str, str]:
    """Each field's problem in words (the first one per field)."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field, labels.field_problem(error.message))
    return found


# the work lists ---------------------------------------------------------------


def list_view(
    page: ListPage,
    form: ListForm,
    *,
    now: datetime,
    errors: Sequence[FieldError] = (),
) -> View:
    stages = stage_names(page.names.routes)
    return {
        "kind": page.kind.value,
        "title": LISTS[page.kind],
        "tabs": [
            {
                "kind": kind.value,
                "label": LISTS[kind],
                "count": count_text(page.counts.get(kind)),
                "current": kind is page.kind,
                "url": list_url(ListForm.model_validate({"list": kind.value})),
            }
            for kind in Worklist
        ],
        "rows": [row_view(h, page.names, stages, now=now) for h in page.hits],
        "empty": EMPTY[page.kind],
        "filters": filter_view(form, page, errors),
        "pager": pager_view(form, page.next_cursor),
        "can_take": page.kind is Worklist.QUEUES,
        "assignable": [(str(p.id), p.name) for p in page.assignable],
        "here": list_url(form),
    }


def count_text(count: int | None) -> str:
    if count is None:
        return ""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def row_view(
    hit: AppealHit,
    names: Names,
    stages: Mapping[tuple[uuid.UUID, str], str],
    *,
    now: datetime,
) -> View:
    customer = names.customers.get(hit.customer_id) if hit.customer_id else None
    owner = names.people.get(hit.assignee_id) if hit.assignee_id else None
    topic = names.topics.get(hit.topic_id)
    return {
        "id": str(hit.id),
        "number": appeal_number(hit.id),
        "topic": topic.name if topic else "",
        "customer": customer.name if customer else "",
        "customer_id": str(customer.id) if customer else "",
        "stage": stages.get((hit.topic_id, hit.stage)) or labels.readable(hit.stage),
        "queue": queue_label(hit.queue),
        "status": labels.label(labels.APPEAL_STATUSES, hit.status.value),
        "status_code": hit.status.value,
        "deadline": stamp(hit.deadline_at),
        "overdue": hit.overdue and hit.status is not AppealStatus.CLOSED,
        "age": age(hit.created_at, now),
        "created": stamp(hit.created_at),
        "owner": owner.name if owner else "",
        "description": hit.description,
        "waiting": hit.status in (AppealStatus.WAITING, AppealStatus.REJECTED_BACK),
    }


def filter_view(form: ListForm, page: ListPage, errors: Sequence[FieldError]) -> View:
    topics = sorted(page.names.topics.values(), key=lambda t: t.name.casefold())
    every_queue = {
        q.name for r in page.names.routes for s in r.stages for q in s.queues
    }
    in_queues = page.kind in (Worklist.QUEUES, Worklist.OVERDUE)
    stages = {code: name for (_, code), name in stage_names(page.names.routes).items()}
    return {
        "values": form.model_dump(by_alias=True, mode="json"),
        "sort": form.order.value,
        "in_use": form.filters_in_use(),
        "errors": errors_view(errors),
        "topics": [(str(t.id), t.name, t.is_group) for t in topics],
        "statuses": [(s.value, labels.APPEAL_STATUSES[s.value]) for s in AppealStatus],
        "stages": sorted(stages.items(), key=lambda item: item[1].casefold()),
        "queues": [
            (q, queue_label(q))
            for q in sorted(page.my_queues if in_queues else every_queue)
        ],
        "sorts": list(SORTS.items()),
        "overdue": [("yes", N_("Overdue only")), ("no", N_("Not overdue"))],
        "attributes": [(d.code, d.label) for d in page.attributes],
    }


def list_url(form: ListForm, **changes: str) -> str:
    """The list page for `form` with `changes` (empty values left out)."""
    values = form.model_dump(by_alias=True, mode="json", exclude_none=True)
    values.update(changes)
    query = {k: str(v) for k, v in values.items() if v not in ("", None)}
    return "/backoffice?" + urlencode(query)


def pager_view(form: ListForm, next_cursor: str | None) -> View:
    earlier = form.earlier()
    here = form.cursor or FIRST_PAGE
    previous = None
    if earlier:
        back = earlier[-1]
        previous = list_url(
            form, cursor="" if back == FIRST_PAGE else back,
            trail=",".join(earlier[:-1]),
        )  # fmt: skip
    return {
        "page": len(earlier) + 1,
        "next": list_url(form, cursor=next_cursor, trail=",".join([*earlier, here]))
        if next_cursor
        else None,
        "previous": previous,
        "first": list_url(form, cursor="", trail="") if len(earlier) > 1 else None,
    }


def bulk_view(
    action: str, results: Sequence[BulkResult], *, errors: Sequence[FieldError] = ()
) -> View:
    """Each appeal of a bulk step with what became of it, in words."""
    return {
        "done": BULK_DONE.get(action, ""),
        "errors": errors_view(errors),
        "results": [
            {
                "id": str(r.appeal_id),
                "number": appeal_number(r.appeal_id),
                "ok": r.ok,
                "said": BULK_DONE.get(action, "")
                if r.ok
                else refusal(r.reason or r.error_id or ""),
            }
            for r in results
        ],
        "succeeded": sum(1 for r in results if r.ok),
        "total": len(results),
    }


# customers --------------------------------------------------------------------


def customers_view(found: Page[CustomerSummary] | None, next_url: str | None) -> View:
    return {
        "asked": found is not None,
        "rows": [
            {
                "id": str(c.id),
                "name": c.name,
                "category": labels.label(labels.CATEGORIES, c.category),
                "lead": c.is_lead,
                "account": c.account or "",
                "balance": f"{c.balance:,.2f}".replace(
                    ",", "\N{NARROW NO-BREAK SPACE}"
                ),
                "in_debt": c.balance < 0,
            }
            for c in (found.items if found else ())
        ],
        "next": next_url,
    }


def customer_view(
    page: CustomerPage, *, now: datetime, base: str, cursors: Mapping[str, str]
) -> View:
    """The card, a page of its contacts and one of its appeals."""
    appeals = page.appeals
    return {
        "card": card_view(page.card),
        "contacts": [past_view(p, this_call="") for p in page.contacts.items],
        "appeals": [appeal_row(h, page.topic_names, now=now) for h in appeals.items],
        "more_contacts": _more(base, cursors, "contacts", page.contacts.next_cursor),
        "more_appeals": _more(base, cursors, "appeals", appeals.next_cursor),
        "first_page": bool(cursors),
        "base": base,
    }


def appeal_row(
    hit: AppealHit, topics: Mapping[uuid.UUID, str], *, now: datetime
) -> View:
    return {
        "id": str(hit.id),
        "number": appeal_number(hit.id),
        "topic": topics.get(hit.topic_id, ""),
        "status": labels.label(labels.APPEAL_STATUSES, hit.status.value),
        "status_code": hit.status.value,
        "queue": queue_label(hit.queue),
        "deadline": stamp(hit.deadline_at),
        "overdue": hit.overdue and hit.status is not AppealStatus.CLOSED,
        "age": age(hit.created_at, now),
        "description": hit.description,
    }


def _more(
    base: str, cursors: Mapping[str, str], name: str, cursor: str | None
) -> str | None:
    if cursor is None:
        return None
    return base + "?" + urlencode({**cursors, name: cursor})
