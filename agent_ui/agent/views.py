"""What the agent desk's templates show, from the services' answers: the state
bar and the call banner, the call's screen, the appeal form and the appeal just
registered. Texts are catalogue message ids (the templates translate them) or
the CRM's own data; codes never reach the page. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from acd.events import Disposition
from acd.model import AgentState, TargetKind, TransferMode
from agent_ui import labels
from agent_ui.agent.controls import DeskState
from agent_ui.agent.registration import Registered, TopicMenu
from agent_ui.agent.screen import Pop
from agent_ui.call_log import PastContact
from agent_ui.labels import N_
from agent_ui.language import LANGUAGE_NAMES
from agent_ui.views import DeskCall
from agent_ui.views import ivr_view as hand_off_view
from crm_core.appeals.attributes import FieldState, encode
from crm_core.appeals.model import AttributeKind, ContactTemplate, Dictionary
from crm_core.appeals.service import AppealDraft
from crm_core.customers.model import CustomerCard
from crm_core.errors import FieldError
from crm_core.reports.model import AppealHit
from ivr.events import IvrCompleted

View = dict[str, Any]
S = AgentState
RINGING = (S.RESERVED, S.RINGING)


def appeal_number(appeal_id: object) -> str:
    """The short number people quote for an appeal."""
    return str(appeal_id).replace("-", "")[:8].upper()


def choices(table: Mapping[str, str], codes: Sequence[str]) -> list[tuple[str, str]]:
    return [(code, labels.label(table, code)) for code in codes]


# state bar and banner -----------------------------------------------------------


def state_view(desk: DeskState) -> View:
    """The state bar: the state in words, its time, and what may be done now."""
    s = desk.state
    on_call = s is S.ON_CALL
    consulting = desk.consulting
    return {
        "seat": desk.seat,
        "state": s.value if s is not None else "",
        "state_label": labels.label(labels.AGENT_STATES, s.value) if s else "",
        "reason_label": labels.label(labels.PAUSE_REASONS, desk.reason)
        if s is S.PAUSED
        else "",
        "since": desk.since.isoformat() if desk.since else None,
        "can_log_in": s is S.LOGGED_OUT,
        "can_ready": s is S.PAUSED,
        "can_pause": s not in (None, S.LOGGED_OUT),
        "can_log_out": s in (S.READY, S.PAUSED),
        "on_call": on_call,
        "held": desk.held,
        "muted": desk.muted,
        "consulting": None
        if consulting is None
        else {
            "target": consulting.target.value,
            "kind_label": labels.label(TARGET_KINDS, consulting.target.kind.value),
        },
        "wrap_up": s is S.WRAP_UP,
        "can_dial": s in (S.READY, S.PAUSED, S.WRAP_UP, S.LOGGED_OUT),
        "pauses": choices(labels.PAUSE_REASONS, labels.CHOOSABLE_PAUSES),
        "dispositions": choices(labels.DISPOSITIONS, [d.value for d in Disposition]),
        "modes": choices(labels.TRANSFER_MODES, [m.value for m in TransferMode]),
        "kinds": choices(TARGET_KINDS, [k.value for k in TargetKind]),
        "queues": choices(labels.QUEUES, desk.queues),
    }


CHOOSE_DISPOSITION = N_("Choose how the call ended first.")
NOT_A_NUMBER = N_(
    "Enter a phone number: digits, with a + in front if it is international."
)
DIALLING = N_("Your phone answered: the number is being called.")
PHONE_SILENT = N_("Your phone did not answer, so the number was not called.")
NOT_PASSED_ON = N_(
    "The appeal was not passed on: someone changed it meanwhile, or its route "
    "does not allow this now."
)
TRANSFER_UNKNOWN: Mapping[str, str] = {
    "queue": N_("There is no such queue."),
    "agent": N_("No agent has this login."),
    "number": N_(
        "Enter a phone number: digits, with a + in front if it is international."
    ),
}

TARGET_KINDS: Mapping[str, str] = {
    "queue": N_("a queue"),
    "agent": N_("an agent"),
    "number": N_("a number"),
}


def banner_view(desk: DeskState) -> View:
    """The call banner: a ringing call, the call in progress or on hold, the
    call being wrapped up, or waiting for one."""
    call, s = desk.call, desk.state
    if call is None or s is None or s in (S.LOGGED_OUT, S.READY, S.PAUSED):
        return {"kind": "idle", "call_id": None, "ringing": False}
    live = call.live
    kind = "ended"
    if live and s in RINGING:
        kind = "ringing"
    elif live and s is S.ON_CALL:
        kind = "held" if desk.held else "connected"
    elif s is not S.WRAP_UP:
        return {"kind": "idle", "call_id": None, "ringing": False}
    return {
        "kind": kind,
        "ringing": kind == "ringing",
        "call_id": str(call.offer.call_id),
        "caller": desk.caller_name or caller_number(call) or "",
        "unknown": desk.caller_name is None and not caller_number(call),
        "number": caller_number(call) if desk.caller_name else "",
        "queue": labels.label(labels.QUEUES, str(call.offer.queue_id)),
        "since": desk.since.isoformat() if desk.since else None,
    }


def caller_number(call: DeskCall) -> str:
    facts = call.facts
    return (facts.ani or "") if facts is not None else ""


# the call's screen -----------------------------------------------------------------


def pop_view(pop: Pop) -> View:
    call = pop.call
    facts = call.facts
    contact = pop.contact
    new_form = None
    if pop.customer is None and not pop.candidates:
        new_form = new_customer_defaults(caller_number(call), pop.template)
    return {
        "call_id": str(call.offer.call_id),
        "number": caller_number(call),
        "queue": labels.label(labels.QUEUES, str(call.offer.queue_id)),
        "offered_at": call.offer.occurred_at.isoformat(),
        "live": call.live,
        "contact_opened": contact.started_at.isoformat() if contact else None,
        "customer": card_view(pop.customer) if pop.customer else None,
        "candidates": [card_view(c) for c in pop.candidates],
        "new_customer": new_form,
        "history": [
            past_view(p, this_call=str(call.offer.call_id)) for p in pop.history
        ],
        "open_appeals": [hit_view(h, pop.topic_names) for h in pop.open_appeals],
        "ivr": ivr_view(facts.ivr) if facts is not None and facts.ivr else None,
    }


def new_customer_defaults(number: str, template: ContactTemplate | None) -> View:
    category = (template.default_category if template else None) or "mass"
    return {
        "values": {"phone": number, "category": category, "kind": "person"},
        "errors": {},
        "categories": choices(labels.CATEGORIES, list(labels.CATEGORIES)),
        "kinds": choices(CUSTOMER_KINDS, list(CUSTOMER_KINDS)),
    }


CUSTOMER_KINDS: Mapping[str, str] = {
    "person": N_("Person"),
    "organisation": N_("Organisation"),
}


def customer_form_view(values: Mapping[str, str], errors: Sequence[FieldError]) -> View:
    """The new-customer form again, with what was typed and its problems."""
    view = new_customer_defaults(values.get("phone", ""), None)
    view["values"] = dict(values)
    view["errors"] = {e.field: labels.field_problem(e.message) for e in errors}
    return view


def card_view(card: CustomerCard) -> View:
    places = [card.city, card.district, card.building]
    return {
        "id": str(card.id),
        "name": card.name,
        "is_lead": card.is_lead,
        "kind": labels.label(CUSTOMER_KINDS, card.kind.value),
        "category": labels.label(labels.CATEGORIES, card.category),
        "account": card.account or "",
        "balance": money(card.balance),
        "in_debt": card.balance < 0,
        "phones": [p.raw for p in card.phones],
        "emails": list(card.emails),
        "address": ", ".join(p for p in places if p),
        "products": list(card.products),
        "equipment": list(card.equipment),
        "notes": card.notes,
    }


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "\N{NARROW NO-BREAK SPACE}")


def past_view(past: PastContact, *, this_call: str) -> View:
    c = past.contact
    disposition = c.wrap_up.disposition if c.wrap_up else None
    return {
        "started_at": c.started_at.isoformat(),
        "this_call": c.call_id == this_call,
        "channel": c.channel.value,
        "outcome": labels.label(labels.OUTCOMES, c.outcome.value if c.outcome else ""),
        "queue": labels.label(labels.QUEUES, c.queue),
        "agents": [a.agent for a in c.agents],
        "wait": labels.duration(c.wait_s),
        "talk": labels.duration(c.talk_s),
        "hold": labels.duration(c.hold_s) if c.hold_s else "",
        "cause": labels.cause_label(c.hangup_cause, c.hangup_cause_text)
        if c.outcome is not None
        else "",
        "pbx_gone": labels.END_REASONS.get(c.end_reason.value, "")
        if c.end_reason is not None
        else "",
        "disposition": labels.label(labels.DISPOSITIONS, disposition),
        "notes": c.wrap_up.notes if c.wrap_up else "",
        "recordings": [
            {
                "url": f"/api/v1/recordings/{r.id}/audio",
                "duration": labels.duration(r.duration_s),
            }
            for r in past.recordings
            if r.deleted_at is None
        ],
    }


def hit_view(hit: AppealHit, topic_names: Mapping[Any, str]) -> View:
    return {
        "number": appeal_number(hit.id),
        "topic": topic_names.get(hit.topic_id, ""),
        "status": labels.label(labels.APPEAL_STATUSES, hit.status.value),
        "queue": hit.queue or "",
        "deadline": hit.deadline_at.isoformat() if hit.deadline_at else None,
        "overdue": hit.overdue,
        "description": hit.description,
    }


def ivr_view(ivr: IvrCompleted) -> View:
    """The IVR's hand-off, in words."""
    seen = hand_off_view(ivr)
    return {
        "flow": seen["flow"] or "",
        "outcome": labels.label(labels.IVR_OUTCOMES, seen["outcome"]),
        "language": LANGUAGE_NAMES.get(seen["language"], seen["language"]),
        "queue": labels.label(labels.QUEUES, seen["queue"]),
        "menu_path": [labels.readable(p) for p in seen["menu_path"]],
        "entered": [
            (labels.readable(k), _json_text(v)) for k, v in seen["values"].items()
        ],
        "recognised": [
            {
                "name": labels.readable(r["name"]),
                "value": r["value"],
                "heard_by": labels.label(labels.HEARD_BY, r["channel"]),
                "sure": None
                if r["confidence"] is None
                else round(r["confidence"] * 100),
            }
            for r in seen["recognised"]
        ],
    }


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_json_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


# appeals -----------------------------------------------------------------------------


def topic_choices(menu: TopicMenu) -> View:
    """The topic choice grouped by topic group (a topic outside groups first)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for topic in menu.topics:
        group = menu.groups.get(topic.parent_id, "") if topic.parent_id else ""
        groups.setdefault(group, []).append((str(topic.id), topic.name))
    return {
        "groups": sorted(groups.items()),
        "default": str(menu.default) if menu.default else "",
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Shown:
    """Which problems the form shows: all (a save) or one field's (a change)."""

    all: bool = False
    field: str | None = None

    def shows(self, code: str) -> bool:
        return self.all or code == self.field


def appeal_form_view(
    draft: AppealDraft,
    *,
    typed: Mapping[str, str],
    customer_id: str,
    description: str,
    shown: Shown,
) -> View:
    """The topic's form: every attribute not hidden, with its value (as typed,
    else as the CRM would store it), its flags and, when `shown`, its problem."""
    problems = {e.field: e.message for e in draft.review.errors}
    topic_problem = problems.get("topic_id")
    fields = [
        field_view(state, typed, draft.dictionaries, problems, shown)
        for state in draft.review.states
        if not state.hidden
    ]
    return {
        "topic_id": str(draft.topic.id),
        "topic": draft.topic.name,
        "customer_id": customer_id,
        "description": description,
        "fields": fields,
        "topic_error": labels.field_problem(topic_problem) if topic_problem else None,
        "savable": draft.route is not None,
    }


def field_view(
    state: FieldState,
    typed: Mapping[str, str],
    dictionaries: Mapping[str, Dictionary],
    problems: Mapping[str, str],
    shown: Shown,
) -> View:
    d = state.definition
    flag = d.kind is AttributeKind.BOOLEAN
    name = ("flag." if flag else "attr.") + d.code
    problem = problems.get(f"attributes.{d.code}")
    options: list[tuple[str, str]] = []
    listed = dictionaries.get(d.dictionary_code or "")
    if d.kind is AttributeKind.DICTIONARY and listed is not None:
        items = listed.items
        options = [(i.code, i.label) for i in items if i.active]
    return {
        "code": d.code,
        "name": name,
        "label": d.label,
        "kind": d.kind.value,
        "value": typed[name] if name in typed else shown_value(state.value),
        "required": state.required,
        "read_only": state.read_only,
        "options": options,
        "error": labels.field_problem(problem)
        if problem and shown.shows(d.code)
        else None,
    }


def shown_value(value: object) -> str:
    """A stored value as a form field holds it (yes/no for booleans)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str | Decimal | date):
        encoded = encode(value)
        return "" if encoded is None else str(encoded)
    return ""


def registered_view(done: Registered) -> View:
    a = done.appeal
    return {
        "id": str(a.id),
        "number": appeal_number(a.id),
        "topic": done.topic_name,
        "stage": done.stage_name,
        "status": labels.label(labels.APPEAL_STATUSES, a.status.value),
        "queue": a.queue or "",
        "deadline": a.deadline_at.isoformat() if a.deadline_at else None,
        "moves": [(t.name, labels.readable(t.name)) for t in done.moves],
    }


def queues_view(figures: Sequence[Mapping[str, Any]]) -> list[View]:
    """The agent's queues' live figures."""
    return [
        {
            "queue": labels.label(labels.QUEUES, q["queue_id"]),
            "queue_id": q["queue_id"],
            "waiting": q["waiting"],
            "longest": labels.duration(q["longest_wait_s"]),
            "service_level": None
            if q["service_level"] is None
            else round(q["service_level"] * 100),
        }
        for q in figures
    ]
