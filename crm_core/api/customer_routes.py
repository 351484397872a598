"""Endpoints for customers, leads, caller identification and contacts (C1, C2, C10,
T1, T5). The customer services validate input and check rights and groups."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes, Page
from crm_core.auth.model import Permission
from crm_core.customers.call_log import CallOutcome, EndReason
from crm_core.customers.contacts import ContactService
from crm_core.customers.inputs import ContactInput, CustomerInput
from crm_core.customers.model import (
    Address,
    Ambiguous,
    Channel,
    ContactDirection,
    ContactPerson,
    CustomerKind,
    CustomerSummary,
    Identified,
    Phone,
    Unknown,
)
from crm_core.customers.service import CustomerQuery, CustomerService

CUSTOMERS: web.AppKey[CustomerService] = web.AppKey("crm_api_customers")
CONTACTS: web.AppKey[ContactService] = web.AppKey("crm_api_contacts")

routes = ApiRoutes("customers")
READ, WRITE = Permission.CUSTOMER_READ, Permission.CUSTOMER_WRITE


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CustomerSummaryOut(_Out):
    id: uuid.UUID
    name: str
    kind: CustomerKind
    is_lead: bool
    category: str
    customer_group: str | None
    account: str | None
    balance: Decimal


class CustomerOut(CustomerSummaryOut):
    phones: list[Phone]
    emails: list[str]
    sex: str | None
    birth_date: date | None
    city: str | None
    district: str | None
    building: str | None
    network_node: str | None
    addresses: list[Address]
    products: list[str]
    equipment: list[str]
    preferred_channels: list[Channel]
    contact_persons: list[ContactPerson]
    notes: str
    created_at: datetime
    updated_at: datetime
    converted_at: datetime | None


class CustomerQueryIn(BaseModel):
    text: str | None = Field(default=None, description="part of the name, any case")
    phone: str | None = Field(default=None, description="any written form")
    account: str | None = None
    category: str | None = None
    is_lead: bool | None = None


class ConvertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str | None = None
    category: str | None = None


class IdentifyIn(BaseModel):
    ani: str = Field(description="the calling number as the PBX gave it")


class IdentificationOut(BaseModel):
    result: str = Field(description="identified, ambiguous or unknown")
    customer: CustomerSummaryOut | None
    candidates: list[CustomerSummaryOut]


class IvrVisitOut(_Out):
    """The call's way through the IVR: where the caller left it and every step."""

    completed_at: datetime
    flow: str | None
    outcome: str
    last_node: str | None
    language: str
    queue: str | None
    journal: list[dict[str, Any]]
    details: dict[str, Any]


class WrapUpOut(_Out):
    """How the agent closed the call: their disposition code and notes."""

    finished_at: datetime
    agent: str
    disposition: str | None
    notes: str


class CallAgentOut(_Out):
    """An agent who took the call, in the order they took it."""

    agent: str = Field(description="the agent's login")
    user_id: uuid.UUID | None = Field(description="their user; null: no user")
    taken_at: datetime = Field(description="when they took the call")
    queue: str | None = Field(description="the queue they answered it from")


class ContactOut(_Out):
    id: uuid.UUID
    customer_id: uuid.UUID | None
    channel: Channel
    direction: ContactDirection
    place: str | None
    contact_person: str | None
    agent_id: uuid.UUID | None = Field(
        description="who handled it: for a call, the last agent's user"
    )
    address: str | None = Field(description="the caller's number or e-mail address")
    dnis: str | None = Field(description="the number the caller dialled")
    call_id: str | None
    started_at: datetime
    ended_at: datetime | None
    queue: str | None = Field(description="the last queue the call was in")
    queues: list[str] = Field(
        description="every queue the call passed through, in order (overflows, "
        "transfers)"
    )
    agents: list[CallAgentOut] = Field(
        description="the agents who took the call, in order (the transfer chain)"
    )
    wait_s: float | None = Field(
        description="seconds waiting in queues for an agent (null until it ends)"
    )
    talk_s: float | None = Field(
        description="seconds agents talked with the caller, hold excluded (null "
        "until it ends)"
    )
    hold_s: float | None = Field(description="seconds the caller was on hold")
    outcome: CallOutcome | None = Field(
        description="how the call ended (null until it ends; null for other channels)"
    )
    hangup_cause: int | None = Field(description="the PBX's hangup cause code")
    hangup_cause_text: str | None = Field(description="the hangup cause's text")
    end_reason: EndReason | None = Field(
        description="hangup; vanished (gone from the PBX after a reconnect) or "
        "pbx_shutdown (hung up by a PBX shutting down or restarting)"
    )
    pbx_gone: bool = Field(
        description="the PBX went away under the call: nobody hung up"
    )
    notes: str
    ivr: IvrVisitOut | None = None
    wrap_up: WrapUpOut | None = None


class InfoRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str
    details: str = ""


class InfoRequestOut(_Out):
    id: uuid.UUID
    customer_id: uuid.UUID
    subject: str
    details: str
    requested_at: datetime
    agent_id: uuid.UUID | None


@routes.get(
    "/customers", permission=READ, query=CustomerQueryIn, paged=True,
    response=CustomerSummaryOut, summary="Search customers and leads by name",
)  # fmt: skip
async def search_customers(call: ApiCall) -> Page:
    q = call.query(CustomerQueryIn)
    page = call.page()
    found = await call.service(CUSTOMERS).search(
        call.actor, CustomerQuery(**q.model_dump()), cursor=page.after,
        limit=page.limit,
    )  # fmt: skip
    items = [CustomerSummaryOut.model_validate(c) for c in found.items]
    return Page(items=items, next=found.next_cursor)


@routes.post("/customers", permission=WRITE, body=CustomerInput, validate_body=False,
             status=201, response=CustomerOut, summary="Create a customer")  # fmt: skip
async def create_customer(call: ApiCall) -> CustomerOut:
    card = await call.service(CUSTOMERS).create(call.actor, call.json())
    return CustomerOut.model_validate(card)


@routes.post("/leads", permission=WRITE, body=CustomerInput, validate_body=False,
             status=201, response=CustomerOut, summary="Create a lead")  # fmt: skip
async def create_lead(call: ApiCall) -> CustomerOut:
    card = await call.service(CUSTOMERS).create(call.actor, call.json(), lead=True)
    return CustomerOut.model_validate(card)


@routes.get("/customers/{customer_id}", permission=READ, response=CustomerOut,
            summary="A customer's card")  # fmt: skip
async def get_customer(call: ApiCall) -> CustomerOut:
    card = await call.service(CUSTOMERS).get(call.actor, call.path_uuid("customer_id"))
    return CustomerOut.model_validate(card)


@routes.patch(
    "/customers/{customer_id}", permission=WRITE, body=CustomerInput,
    validate_body=False, response=CustomerOut,
    summary="Change a card; send only the fields to change (phones: the whole list)",
)  # fmt: skip
async def edit_customer(call: ApiCall) -> CustomerOut:
    card = await call.service(CUSTOMERS).update(
        call.actor, call.path_uuid("customer_id"), call.json()
    )
    return CustomerOut.model_validate(card)


@routes.delete("/customers/{customer_id}", permission=WRITE, status=204,
               summary="Delete a card (its contacts stay)")  # fmt: skip
async def delete_customer(call: ApiCall) -> None:
    await call.service(CUSTOMERS).delete(call.actor, call.path_uuid("customer_id"))


@routes.post(
    "/leads/{customer_id}/convert", permission=WRITE, body=ConvertIn,
    response=CustomerOut, summary="Convert a lead into a customer, keeping history",
)  # fmt: skip
async def convert_lead(call: ApiCall) -> CustomerOut:
    body = call.body(ConvertIn)
    card = await call.service(CUSTOMERS).convert_lead(
        call.actor, call.path_uuid("customer_id"), account=body.account,
        category=body.category,
    )  # fmt: skip
    return CustomerOut.model_validate(card)


@routes.get(
    "/identify", permission=READ, query=IdentifyIn, response=IdentificationOut,
    summary="Who calls from this number",
)  # fmt: skip
async def identify(call: ApiCall) -> IdentificationOut:
    """Candidates outside the caller's customer groups are left out."""
    found = await call.service(CUSTOMERS).identify(call.query(IdentifyIn).ani)
    visible: list[CustomerSummary] = []
    match found:
        case Identified(customer=customer):
            visible = [customer]
        case Ambiguous(candidates=candidates):
            visible = list(candidates)
        case Unknown():
            visible = []
    visible = [c for c in visible if call.actor.sees_group(c.customer_group)]
    shown = [CustomerSummaryOut.model_validate(c) for c in visible]
    result = "ambiguous" if len(shown) > 1 else "identified" if shown else "unknown"
    return IdentificationOut(
        result=result, customer=shown[0] if len(shown) == 1 else None,
        candidates=shown,
    )  # fmt: skip


@routes.get(
    "/customers/{customer_id}/contacts", permission=Permission.CONTACT_READ,
    paged=True, response=ContactOut, summary="The customer's contacts, newest first",
)  # fmt: skip
async def contact_history(call: ApiCall) -> Page:
    page = call.page()
    found = await call.service(CONTACTS).history(
        call.actor, call.path_uuid("customer_id"), cursor=page.after,
        limit=page.limit,
    )  # fmt: skip
    items = [ContactOut.model_validate(c) for c in found.items]
    return Page(items=items, next=found.next_cursor)


@routes.post(
    "/contacts", permission=Permission.CONTACT_WRITE, body=ContactInput,
    validate_body=False, status=201, response=ContactOut,
    summary="Register a non-voice contact (e-mail, web, visit, letter, fax)",
)  # fmt: skip
async def register_contact(call: ApiCall) -> ContactOut:
    contact = await call.service(CONTACTS).register_contact(call.actor, call.json())
    return ContactOut.model_validate(contact)


@routes.get("/contacts/{contact_id}", permission=Permission.CONTACT_READ,
            response=ContactOut, summary="One contact")  # fmt: skip
async def get_contact(call: ApiCall) -> ContactOut:
    contact = await call.service(CONTACTS).get(call.actor, call.path_uuid("contact_id"))
    return ContactOut.model_validate(contact)


@routes.get(
    "/customers/{customer_id}/info-requests", permission=READ,
    response=InfoRequestOut, summary="What the customer asked information about",
)  # fmt: skip
async def info_requests(call: ApiCall) -> list[InfoRequestOut]:
    found = await call.service(CUSTOMERS).info_requests(
        call.actor, call.path_uuid("customer_id")
    )
    return [InfoRequestOut.model_validate(r) for r in found]


@routes.post(
    "/customers/{customer_id}/info-requests", permission=WRITE, body=InfoRequestIn,
    status=201, response=InfoRequestOut, summary="Record an information request",
)  # fmt: skip
async def record_info_request(call: ApiCall) -> InfoRequestOut:
    body = call.body(InfoRequestIn)
    request = await call.service(CUSTOMERS).record_info_request(
        call.actor, call.path_uuid("customer_id"), subject=body.subject,
        details=body.details,
    )  # fmt: skip
    return InfoRequestOut.model_validate(request)
