"""The customer service: cards of customers and leads, search, caller identification.

Checks the actor's rights and customer-group visibility, validates input at the
boundary and runs one unit of work per call. Holds no session between calls.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.customers import store
from crm_core.customers.errors import CustomerNotFound, DuplicateAccount, NotALead
from crm_core.customers.inputs import CustomerInput, parse
from crm_core.customers.model import (
    Address,
    BadCursor,
    ContactPerson,
    CustomerCard,
    CustomerId,
    CustomerSummary,
    Identification,
    InfoRequest,
    Page,
    Unknown,
    decode_cursor,
    encode_cursor,
    identification,
    visible_card,
)
from crm_core.customers.ports import Clock
from crm_core.db import Sessions, reading, retry_once
from crm_core.errors import FieldError, ValidationFailed
from crm_core.phone import InvalidPhone, normalise, try_normalise

MAX_PAGE = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerQuery:
    """Filters for `CustomerService.search`; every given one must match."""

    text: str | None = None
    """A part of the name, any case."""
    phone: str | None = None
    """Any written form of a number the customer holds."""
    account: str | None = None
    category: str | None = None
    is_lead: bool | None = None


def card_from_input(
    data: CustomerInput,
    *,
    customer_id: uuid.UUID,
    is_lead: bool,
    now: datetime,
    country: str,
) -> CustomerCard:
    phones = tuple(p.to_phone(country) for p in data.phones)
    if phones and not any(p.is_primary for p in phones):
        phones = (dataclasses.replace(phones[0], is_primary=True), *phones[1:])
    return CustomerCard(
        id=CustomerId(customer_id),
        kind=data.kind,
        is_lead=is_lead,
        name=data.name,
        category=data.category,
        customer_group=data.customer_group,
        account=data.account,
        balance=data.balance,
        phones=phones,
        emails=tuple(data.emails),
        sex=data.sex,
        birth_date=data.birth_date,
        city=data.city,
        district=data.district,
        building=data.building,
        network_node=data.network_node,
        addresses=tuple(Address(**a.model_dump()) for a in data.addresses),
        products=tuple(data.products),
        equipment=tuple(data.equipment),
        preferred_channels=tuple(data.preferred_channels),
        contact_persons=tuple(
            ContactPerson(**p.model_dump()) for p in data.contact_persons
        ),
        notes=data.notes,
        created_at=now,
        updated_at=now,
        converted_at=None,
    )


def input_from_card(card: CustomerCard) -> dict[str, object]:
    """The card as the input it could have been created from (for partial edits)."""
    return {
        "kind": card.kind,
        "name": card.name,
        "category": card.category,
        "customer_group": card.customer_group,
        "account": card.account,
        "balance": card.balance,
        "phones": [
            {"number": p.raw, "kind": p.kind, "primary": p.is_primary}
            for p in card.phones
        ],
        "emails": list(card.emails),
        "sex": card.sex,
        "birth_date": card.birth_date,
        "city": card.city,
        "district": card.district,
        "building": card.building,
        "network_node": card.network_node,
        "addresses": [dataclasses.asdict(a) for a in card.addresses],
        "products": list(card.products),
        "equipment": list(card.equipment),
        "preferred_channels": list(card.preferred_channels),
        "contact_persons": [dataclasses.asdict(p) for p in card.contact_persons],
        "notes": card.notes,
    }


class CustomerService:
    """Customers and leads (C1, C10, C17, C20) and caller identification (T1)."""

    def __init__(
        self, sessions: Sessions, clock: Clock, *, default_country: str = "RU"
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._country = default_country

    async def identify(self, ani: str) -> Identification:
        """Who is calling from `ani`: Identified, Ambiguous or Unknown.

        An ANI that is not a phone number (anonymous, empty, garbage) is Unknown,
        never an error. One indexed query on the normalised number, outside any
        transaction, asked again once on a fresh connection if the database
        restarted since the last call. No visibility filter: the caller applies its
        actor's customer groups.
        """
        e164 = try_normalise(ani, self._country)
        if e164 is None:
            return Unknown(ani=ani)
        found = await retry_once(lambda: self._holders(e164))
        return identification(ani, found)

    async def _holders(self, e164: str) -> list[CustomerSummary]:
        async with reading(self._sessions) as connection:
            return await store.candidates_for(connection, e164)

    async def create(
        self,
        actor: Actor,
        data: Mapping[str, object] | CustomerInput,
        *,
        lead: bool = False,
    ) -> CustomerCard:
        """A new customer (or lead) from `data`.

        Raises Forbidden, ValidationFailed (per field, phones normalised with the
        default country), DuplicateAccount, or CustomerNotFound when the new card's
        group is outside the actor's visibility.
        """
        require(actor, Permission.CUSTOMER_WRITE)
        valid = parse(CustomerInput, data, country=self._country)
        if not actor.sees_group(valid.customer_group):
            raise ValidationFailed(
                [FieldError("customer_group", "outside the groups you may see")]
            )
        card = card_from_input(
            valid,
            customer_id=uuid.uuid4(),
            is_lead=lead,
            now=self._clock.now(),
            country=self._country,
        )
        try:
            async with self._sessions.begin() as s:
                await self._check_account(s, card.account, card.id)
                await store.insert_card(s, card)
        except IntegrityError:  # a concurrent insert took the account number
            raise DuplicateAccount(f"account {card.account} is taken") from None
        return card

    async def get(self, actor: Actor, customer_id: uuid.UUID) -> CustomerCard:
        """The card; CustomerNotFound if absent, CustomerHidden (a CustomerNotFound
        and a Forbidden) if outside the actor's groups."""
        require(actor, Permission.CUSTOMER_READ)
        async with self._sessions() as s:
            card = await store.load_card(s, customer_id)
        return visible_card(actor, customer_id, card)

    async def update(
        self, actor: Actor, customer_id: uuid.UUID, changes: Mapping[str, object]
    ) -> CustomerCard:
        """The card with `changes` (input field names) applied; the rest is kept.

        `phones`, when given, replaces the whole list. Same errors as `create`.
        """
        return await self._edit(actor, customer_id, changes, convert=False)

    async def _edit(
        self,
        actor: Actor,
        customer_id: uuid.UUID,
        changes: Mapping[str, object],
        *,
        convert: bool,
    ) -> CustomerCard:
        require(actor, Permission.CUSTOMER_WRITE)
        try:
            async with self._sessions.begin() as s:
                current = await store.load_card(s, customer_id)
                if current is None or not actor.sees_group(current.customer_group):
                    raise CustomerNotFound(f"no customer {customer_id}")
                if convert and not current.is_lead:
                    raise NotALead(f"{customer_id} is already a customer")
                card = self._edited(actor, current, changes, convert=convert)
                await self._check_account(s, card.account, card.id)
                await store.replace_card(s, card)
        except IntegrityError:  # a concurrent edit took the account number
            raise DuplicateAccount("the account number is taken") from None
        return card

    def _edited(
        self,
        actor: Actor,
        current: CustomerCard,
        changes: Mapping[str, object],
        *,
        convert: bool,
    ) -> CustomerCard:
        valid = parse(
            CustomerInput,
            {**input_from_card(current), **changes},
            country=self._country,
        )
        if not actor.sees_group(valid.customer_group):
            raise ValidationFailed(
                [FieldError("customer_group", "outside the groups you may see")]
            )
        now = self._clock.now()
        fresh = card_from_input(
            valid,
            customer_id=current.id,
            is_lead=current.is_lead and not convert,
            now=now,
            country=self._country,
        )
        return dataclasses.replace(
            fresh,
            created_at=current.created_at,
            converted_at=now if convert else current.converted_at,
        )

    async def delete(self, actor: Actor, customer_id: uuid.UUID) -> None:
        """Remove the card and its phones; its contacts stay, without a customer."""
        await self.get(actor, customer_id)
        require(actor, Permission.CUSTOMER_WRITE)
        async with self._sessions.begin() as s:
            await store.delete_card(s, CustomerId(customer_id))

    async def convert_lead(
        self,
        actor: Actor,
        lead_id: uuid.UUID,
        *,
        account: str | None = None,
        category: str | None = None,
    ) -> CustomerCard:
        """Make the lead a customer, keeping its id, phones and contacts (C10)."""
        changes: dict[str, object] = {}
        if account is not None:
            changes["account"] = account
        if category is not None:
            changes["category"] = category
        return await self._edit(actor, lead_id, changes, convert=True)

    async def search(
        self,
        actor: Actor,
        query: CustomerQuery,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[CustomerSummary]:
        """Customers matching `query`, by name, one page at a time (keyset)."""
        require(actor, Permission.CUSTOMER_READ)
        e164 = None
        if query.phone is not None:
            try:
                e164 = normalise(query.phone, self._country)
            except InvalidPhone as exc:
                raise ValidationFailed([FieldError("phone", exc.reason)]) from None
        select = store.search_query(
            text=query.text,
            e164=e164,
            account=query.account,
            category=query.category,
            is_lead=query.is_lead,
            groups=actor.customer_groups,
        )
        if cursor is not None:
            try:
                name, last_id = decode_cursor(cursor)
            except BadCursor as exc:
                raise ValidationFailed([FieldError("cursor", str(exc))]) from None
            select = store.after(select, name, last_id)
        size = max(1, min(limit, MAX_PAGE))
        async with self._sessions() as s:
            rows = (await s.execute(select.limit(size + 1))).all()
        items = tuple(store.summary_from(tuple(r)) for r in rows[:size])
        more = len(rows) > size
        next_cursor = encode_cursor(items[-1].name, items[-1].id) if more else None
        return Page(items=items, next_cursor=next_cursor)

    async def summaries(
        self, actor: Actor, ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, CustomerSummary]:
        """The customers of `ids` the actor may see, by id (for lists that name
        them); the others are left out."""
        require(actor, Permission.CUSTOMER_READ)
        if not ids:
            return {}
        async with self._sessions() as s:
            found = await store.summaries_of(s, ids, actor.customer_groups)
        return {c.id: c for c in found}

    async def record_info_request(
        self, actor: Actor, customer_id: uuid.UUID, *, subject: str, details: str = ""
    ) -> InfoRequest:
        """Note that the customer asked for information on `subject` (C17)."""
        subject = subject.strip()
        if not subject or len(subject) > 200:
            raise ValidationFailed([FieldError("subject", "1 to 200 characters")])
        card = await self.get(actor, customer_id)
        require(actor, Permission.CUSTOMER_WRITE)
        request = InfoRequest(
            id=uuid.uuid4(),
            customer_id=card.id,
            subject=subject,
            details=details,
            requested_at=self._clock.now(),
            agent_id=actor.user_id,
        )
        async with self._sessions.begin() as s:
            await store.add_info_request(s, request)
        return request

    async def info_requests(
        self, actor: Actor, customer_id: uuid.UUID
    ) -> list[InfoRequest]:
        await self.get(actor, customer_id)
        async with self._sessions() as s:
            return await store.info_requests(s, customer_id)

    @staticmethod
    async def _check_account(
        s: AsyncSession, account: str | None, owner: uuid.UUID
    ) -> None:
        if account is None:
            return
        holder = await store.account_owner(s, account)
        if holder is not None and holder != owner:
            raise DuplicateAccount(f"account {account} belongs to another customer")
