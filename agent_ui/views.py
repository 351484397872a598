"""What the live channel pushes, as JSON for the browser: screen-pops, queue
figures, agent states; the rooms each page's connection joins; each agent's call
as the desk shows it. Pure: no I/O, no clock, no logging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, TypedDict

from acd.events import (
    AgentStateChanged,
    AlertCleared,
    AlertRaised,
    CallOffered,
    QueueStatsUpdated,
)
from crm_core.auth.model import Actor, Permission
from crm_core.customers.events import CallerIdentified, ContactOpened
from crm_core.customers.model import CustomerCard
from ivr.events import IvrCompleted, JsonValue

AGENTS_ROOM_PREFIX = "agent:"
SUPERVISOR_ROOM_PREFIX = "supervisor:"
QUEUE_ROOM_PREFIX = "queue:"
WALLBOARD_ROOM = "wallboard"


def agent_room(agent_id: str) -> str:
    """Every desktop the agent (user id) has open."""
    return AGENTS_ROOM_PREFIX + agent_id


def supervisor_room(user_id: str) -> str:
    """Every wallboard the supervisor has open."""
    return SUPERVISOR_ROOM_PREFIX + user_id


def queue_room(queue_id: str) -> str:
    """The desktops of the queue's member agents: its live figures."""
    return QUEUE_ROOM_PREFIX + queue_id


def queue_rooms(queue_ids: Sequence[str]) -> set[str]:
    return {queue_room(q) for q in queue_ids}


class Page(StrEnum):
    """Which page a desktop connection serves: it gets that page's pushes only
    (a supervisor's agent desk hears no other agent's state)."""

    AGENT = "agent"
    WALLBOARD = "wallboard"


def acd_agent_id(actor: Actor) -> str:
    """The actor's agent id in the ACD: the login, as seats are configured."""
    return actor.login


def rooms_for(actor: Actor, page: Page | None = None) -> list[str]:
    """The rooms a desktop of `actor` joins when it connects for `page` (None:
    every room the actor may join); an agent joins their queues' rooms once the
    ACD says which queues those are."""
    rooms: list[str] = []
    if page in (None, Page.AGENT) and actor.can(Permission.AGENT_WORK):
        rooms.append(agent_room(acd_agent_id(actor)))
    if page in (None, Page.WALLBOARD) and actor.can(Permission.QUEUE_SUPERVISE):
        rooms += [supervisor_room(str(actor.user_id)), WALLBOARD_ROOM]
    return rooms


def page_of(raw: object) -> Page | None:
    """The page a connection says it serves; None for none or one we do not know."""
    if not isinstance(raw, str):
        return None
    try:
        return Page(raw)
    except ValueError:
        return None


# The per-call facts a screen-pop needs ------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFacts:
    """What the bus said about one call before it was offered."""

    call_id: str
    ani: str | None = None
    contact_id: str | None = None
    customer_ids: tuple[str, ...] = ()
    identified: bool = False
    """CallerIdentified was seen: `customer_ids` is the whole answer."""
    ivr: IvrCompleted | None = None


CallFact = CallerIdentified | ContactOpened | IvrCompleted


def fold_fact(facts: CallFacts | None, event: CallFact) -> CallFacts:
    """`facts` with what `event` adds; the identification wins over the contact's
    single customer, and the IVR's chosen customer narrows several candidates."""
    call_id = event.call_id or ""
    base = facts or CallFacts(call_id=call_id)
    match event:
        case CallerIdentified():
            return replace(
                base,
                ani=event.ani,
                contact_id=event.contact_id,
                customer_ids=event.customer_ids,
                identified=True,
            )
        case ContactOpened():
            ids = base.customer_ids
            if not base.identified and event.customer_id is not None:
                ids = (event.customer_id,)
            return replace(base, contact_id=event.contact_id, customer_ids=ids)
        case IvrCompleted():
            ids = base.customer_ids
            if event.customer_id is not None:
                ids = (event.customer_id,)
            return replace(base, ani=base.ani or event.ani, ivr=event, customer_ids=ids)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskCall:
    """An agent's current or last call, as the desktops know it."""

    offer: CallOffered
    facts: CallFacts | None
    live: bool
    """Still offered or connected (False once it ended, during wrap-up)."""


# Screen-pop payloads -------------------------------------------------------------


class CardView(TypedDict):
    id: str
    name: str
    kind: str
    is_lead: bool
    category: str
    account: str | None
    balance: str
    phones: list[str]
    emails: list[str]
    address: str
    notes: str


class NewCustomerForm(TypedDict):
    phone: str
    name: str
    account: str
    notes: str


class KnownCaller(TypedDict):
    kind: Literal["known"]
    customer: CardView


class CandidateCallers(TypedDict):
    kind: Literal["candidates"]
    candidates: list[CardView]


class NewCaller(TypedDict):
    kind: Literal["new"]
    form: NewCustomerForm


CallerView = KnownCaller | CandidateCallers | NewCaller


class RecognisedView(TypedDict):
    name: str
    """The menu or variable the caller answered."""
    value: str
    channel: str
    """How it was heard: "dtmf" or "speech"."""
    confidence: float | None
    """The recogniser's confidence 0..1 for speech; None for keypresses."""


class IvrView(TypedDict):
    flow: str | None
    outcome: str
    language: str
    queue: str | None
    menu_path: list[str]
    values: dict[str, JsonValue]
    recognised: list[RecognisedView]


class ScreenPop(TypedDict):
    call_id: str
    queue_id: str
    offered_at: str
    contact_id: str | None
    ani: str | None
    caller: CallerView
    ivr: IvrView | None


def card_view(card: CustomerCard) -> CardView:
    places = [card.city, card.district, card.building]
    return {
        "id": str(card.id),
        "name": card.name,
        "kind": card.kind.value,
        "is_lead": card.is_lead,
        "category": card.category,
        "account": card.account,
        "balance": str(card.balance),
        "phones": [p.raw for p in card.phones],
        "emails": list(card.emails),
        "address": ", ".join(p for p in places if p),
        "notes": card.notes,
    }


def caller_view(ani: str | None, cards: Sequence[CustomerCard]) -> CallerView:
    """One card: the customer; several: pick one; none: a new-customer form."""
    if len(cards) == 1:
        return {"kind": "known", "customer": card_view(cards[0])}
    if cards:
        return {"kind": "candidates", "candidates": [card_view(c) for c in cards]}
    form: NewCustomerForm = {"phone": ani or "", "name": "", "account": "", "notes": ""}
    return {"kind": "new", "form": form}


def ivr_view(event: IvrCompleted) -> IvrView:
    handoff = event.data.get("handoff")
    hand: Mapping[str, JsonValue] = handoff if isinstance(handoff, dict) else {}
    flow = hand.get("flow")
    path = hand.get("menu_path")
    values = hand.get("values")
    heard = hand.get("recognised")
    return {
        "flow": flow if isinstance(flow, str) else None,
        "outcome": event.outcome,
        "language": event.language,
        "queue": event.queue,
        "menu_path": [str(p) for p in path] if isinstance(path, list) else [],
        "values": dict(values) if isinstance(values, dict) else {},
        "recognised": recognised_views(heard if isinstance(heard, list) else []),
    }


def recognised_views(items: Sequence[JsonValue]) -> list[RecognisedView]:
    """The hand-off's recognised answers; an entry without a name or value is
    left out rather than shown half-empty."""
    views: list[RecognisedView] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name, value = item.get("name"), item.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        channel = item.get("channel")
        confidence = item.get("confidence")
        views.append(
            {
                "name": name,
                "value": value,
                "channel": channel if isinstance(channel, str) else "",
                "confidence": _confidence(confidence),
            }
        )
    return views


def _confidence(value: JsonValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def screen_pop(
    offer: CallOffered, facts: CallFacts | None, cards: Sequence[CustomerCard]
) -> ScreenPop:
    """The pop for `offer`; `cards` are the ones of `facts.customer_ids` the agent
    may see, in that order."""
    ani = facts.ani if facts else None
    return {
        "call_id": str(offer.call_id),
        "queue_id": str(offer.queue_id),
        "offered_at": offer.occurred_at.isoformat(),
        "contact_id": facts.contact_id if facts else None,
        "ani": ani,
        "caller": caller_view(ani, cards),
        "ivr": ivr_view(facts.ivr) if facts and facts.ivr else None,
    }


# Wallboard payloads --------------------------------------------------------------


class QueueStatsView(TypedDict):
    queue_id: str
    at: str
    waiting: int
    longest_wait_s: float
    answered: int
    abandoned: int
    service_level: float | None
    abandonment: float | None
    """Share of offered calls abandoned (short abandons not counted), 0..1."""
    average_speed_of_answer_s: float | None
    agents_by_state: dict[str, int]


class AgentStateView(TypedDict):
    agent_id: str
    at: str
    state: str
    previous: str
    reason: str
    queue_ids: list[str]


def queue_stats_view(event: QueueStatsUpdated) -> QueueStatsView:
    handled = event.answered + event.abandoned
    return {
        "queue_id": str(event.queue_id),
        "at": event.occurred_at.isoformat(),
        "waiting": event.waiting,
        "longest_wait_s": round(event.longest_wait_s, 1),
        "answered": event.answered,
        "abandoned": event.abandoned,
        "service_level": event.service_level,
        "abandonment": event.abandoned / handled if handled else None,
        "average_speed_of_answer_s": event.average_speed_of_answer_s,
        "agents_by_state": dict(event.agents_by_state),
    }


def agent_state_view(event: AgentStateChanged) -> AgentStateView:
    return {
        "agent_id": str(event.agent_id),
        "at": event.occurred_at.isoformat(),
        "state": event.state.value,
        "previous": event.previous.value,
        "reason": event.reason,
        "queue_ids": [str(q) for q in event.queue_ids],
    }


class AlertPush(TypedDict):
    kind: str
    subject: str
    open: bool
    """Raised (True) or cleared."""


def alert_push(event: AlertRaised | AlertCleared) -> AlertPush:
    """What the wallboard hears of an alert (it asks for the words itself)."""
    return {
        "kind": event.kind,
        "subject": event.subject,
        "open": isinstance(event, AlertRaised),
    }
