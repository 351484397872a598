"""Customers, leads, contacts and caller identification as values. Pure: no I/O.

What the service returns and the decisions that need no database (who a caller is
from the candidates found, keyset cursors).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, NewType, TypeVar

from crm_core.auth.model import Actor
from crm_core.customers.call_log import CallEnd, CallOutcome, EndReason
from crm_core.customers.errors import CustomerHidden, CustomerNotFound

CustomerId = NewType("CustomerId", uuid.UUID)
ContactId = NewType("ContactId", uuid.UUID)

T = TypeVar("T")

MAX_CANDIDATES = 5
"""Ambiguous identification lists at most this many customers."""


class CustomerKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"
    FAX = "fax"
    OTHER = "other"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    VISIT = "visit"
    LETTER = "letter"
    FAX = "fax"
    SMS = "sms"


class ContactDirection(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True, kw_only=True)
class Phone:
    raw: str
    e164: str
    extension: str | None = None
    kind: PhoneKind = PhoneKind.MOBILE
    is_primary: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    city: str | None = None
    district: str | None = None
    street: str | None = None
    building: str | None = None
    flat: str | None = None
    network_node: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPerson:
    name: str
    role: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerSummary:
    """What a list, a screen-pop or an identification needs to show."""

    id: CustomerId
    name: str
    kind: CustomerKind
    is_lead: bool
    category: str
    customer_group: str | None
    account: str | None
    balance: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerCard:
    """The whole card of a customer or lead (C1)."""

    id: CustomerId
    kind: CustomerKind
    is_lead: bool
    name: str
    category: str
    customer_group: str | None
    account: str | None
    balance: Decimal
    phones: tuple[Phone, ...]
    emails: tuple[str, ...]
    sex: str | None
    birth_date: date | None
    city: str | None
    district: str | None
    building: str | None
    network_node: str | None
    addresses: tuple[Address, ...]
    products: tuple[str, ...]
    equipment: tuple[str, ...]
    preferred_channels: tuple[Channel, ...]
    contact_persons: tuple[ContactPerson, ...]
    notes: str
    created_at: datetime
    updated_at: datetime
    converted_at: datetime | None

    def summary(self) -> CustomerSummary:
        return CustomerSummary(
            id=self.id,
            name=self.name,
            kind=self.kind,
            is_lead=self.is_lead,
            category=self.category,
            customer_group=self.customer_group,
            account=self.account,
            balance=self.balance,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InfoRequest:
    """An information request ("reference", C17) made by a customer."""

    id: uuid.UUID
    customer_id: CustomerId
    subject: str
    details: str
    requested_at: datetime
    agent_id: uuid.UUID | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """One interaction; a call's contact also carries its call log (T3)."""

    id: ContactId
    customer_id: CustomerId | None
    channel: Channel
    direction: ContactDirection
    place: str | None
    contact_person: str | None
    agent_id: uuid.UUID | None
    address: str | None
    """The caller's number or e-mail address as received."""
    dnis: str | None
    call_id: str | None
    started_at: datetime
    ended_at: datetime | None
    queue: str | None
    """The last queue the call was in."""
    wait_s: float | None
    talk_s: float | None
    outcome: CallOutcome | None
    hangup_cause: int | None
    notes: str
    hangup_cause_text: str | None = None
    end_reason: EndReason | None = None
    """Why the call ended as the PBX told it (None while it goes on)."""
    hold_s: float | None = None
    queues: tuple[str, ...] = ()
    """Every queue the call passed through, in order."""
    agents: tuple[CallAgent, ...] = ()
    """The agents who took the call, in order (the transfer chain)."""
    ivr: IvrVisit | None = None
    """What the IVR did with the call, once it let the call go (I7)."""
    wrap_up: WrapUp | None = None
    """How the agent closed the call in wrap-up, once they finished it."""

    @property
    def pbx_gone(self) -> bool:
        """The PBX went away under the call (a restart, a crash): nobody hung up."""
        return self.end_reason is not None and self.end_reason.pbx_gone


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrVisit:
    """A call's way through the IVR, kept on its contact (I7): the flow, the node the
    caller left it at, the way out (an IVR outcome such as queued or caller_hung_up),
    the journal of every step and the rest of the hand-off, as JSON values."""

    completed_at: datetime
    flow: str | None
    outcome: str
    last_node: str | None
    language: str
    queue: str | None = None
    journal: Sequence[Mapping[str, object]] = ()
    details: Mapping[str, object] = field(default_factory=dict)
    """The hand-off (menu path, values, recognised values) and the outcome's facts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUp:
    """What the agent said about a call when they finished wrap-up: a disposition
    code from the ACD's list (None: none given) and free notes."""

    finished_at: datetime
    agent: str
    """The agent's login."""
    disposition: str | None
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAgent:
    """An agent in a call's transfer chain: their login and user (None: no user
    has that login), when they took the call and from which queue."""

    agent: str
    user_id: uuid.UUID | None
    taken_at: datetime
    queue: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLog:
    """How a call ended, for `close_call_contact`."""

    end: CallEnd
    ani: str = ""
    """The rest is used only when the contact must be created (the end came
    first) or was created by a later event that knew no caller."""
    dnis: str = ""
    started_at: datetime | None = None
    direction: ContactDirection = ContactDirection.IN


@dataclass(frozen=True, slots=True, kw_only=True)
class Identified:
    ani: str
    customer: CustomerSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class Ambiguous:
    """The number belongs to several customers (a shared office or family line)."""

    ani: str
    candidates: tuple[CustomerSummary, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown:
    ani: str


Identification = Identified | Ambiguous | Unknown


def identification(ani: str, candidates: Sequence[CustomerSummary]) -> Identification:
    """Who is calling from `ani`, given the customers holding that number.

    Customers come before leads: a real customer on the line wins over a lead that
    once left the same number.
    """
    customers = [c for c in candidates if not c.is_lead]
    chosen = customers or list(candidates)
    unique = list({c.id: c for c in chosen}.values())
    if not unique:
        return Unknown(ani=ani)
    if len(unique) == 1:
        return Identified(ani=ani, customer=unique[0])
    return Ambiguous(ani=ani, candidates=tuple(unique[:MAX_CANDIDATES]))


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list; pass `next_cursor` for the next one."""

    items: tuple[T, ...]
    next_cursor: str | None


class BadCursor(ValueError):
    pass


def encode_cursor(key: str, row_id: uuid.UUID) -> str:
    """An opaque cursor after the row ordered by (`key`, `row_id`)."""
    raw = f"{key}\x1f{row_id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, _, hex_id = raw.rpartition("\x1f")
        return key, uuid.UUID(hex=hex_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor(f"not a cursor this list gave out: {cursor[:40]!r}") from None


def visible_card(
    actor: Actor, customer_id: uuid.UUID, card: CustomerCard | None
) -> CustomerCard:
    """`card` if `actor` may see it; CustomerNotFound or CustomerHidden if not."""
    if card is None:
        raise CustomerNotFound(f"no customer {customer_id}")
    if not actor.sees_group(card.customer_group):
        raise CustomerHidden(f"customer {customer_id} is outside your customer groups")
    return card
