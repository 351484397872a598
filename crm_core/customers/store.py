"""Reads and writes customers, phones and information requests (contacts:
`crm_core.customers.contact_rows`).

Functions over one AsyncSession (the caller owns the unit of work); rows become model
values here and nowhere else. No rights checks: those belong to the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crm_core.customers.model import (
    MAX_CANDIDATES,
    Address,
    Channel,
    ContactPerson,
    CustomerCard,
    CustomerId,
    CustomerKind,
    CustomerSummary,
    InfoRequest,
    Phone,
    PhoneKind,
)
from crm_core.customers.tables import (
    CustomerPhoneRow,
    CustomerRow,
    InfoRequestRow,
)

SummarySelect = Select[uuid.UUID, str, str, bool, str, str | None, str | None, Decimal]

SUMMARY_COLUMNS = (
    CustomerRow.id,
    CustomerRow.name,
    CustomerRow.kind,
    CustomerRow.is_lead,
    CustomerRow.category,
    CustomerRow.customer_group,
    CustomerRow.account,
    CustomerRow.balance,
)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def maybe_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


def summary_from(row: Sequence[object]) -> CustomerSummary:
    id_, name, kind, is_lead, category, group, account, balance = row
    assert isinstance(id_, uuid.UUID)
    return CustomerSummary(
        id=CustomerId(id_),
        name=str(name),
        kind=CustomerKind(str(kind)),
        is_lead=bool(is_lead),
        category=str(category),
        customer_group=None if group is None else str(group),
        account=None if account is None else str(account),
        balance=balance,  # type: ignore[arg-type]  # Numeric column: a Decimal
    )


_CANDIDATES = (
    select(*SUMMARY_COLUMNS)
    .join(CustomerPhoneRow, CustomerPhoneRow.customer_id == CustomerRow.id)
    .where(CustomerPhoneRow.e164 == bindparam("e164"))
    .limit(2 * MAX_CANDIDATES)
)
"""Built once: identify() is the hot path, so no per-call statement building."""


async def candidates_for(
    s: AsyncConnection | AsyncSession, e164: str
) -> list[CustomerSummary]:
    """Customers holding the number `e164` (through the e164 index); a plain
    connection spares identify() the session's bookkeeping."""
    result = await s.execute(_CANDIDATES, {"e164": e164})
    return [summary_from(tuple(r)) for r in result.all()]


def _address(a: Address) -> dict[str, object]:
    return {
        "city": a.city,
        "district": a.district,
        "street": a.street,
        "building": a.building,
        "flat": a.flat,
        "network_node": a.network_node,
    }


def row_values(card: CustomerCard) -> dict[str, object]:
    return {
        "kind": card.kind.value,
        "is_lead": card.is_lead,
        "name": card.name,
        "name_folded": card.name.casefold()[:300],
        "category": card.category,
        "customer_group": card.customer_group,
        "account": card.account,
        "balance": card.balance,
        "emails": list(card.emails),
        "sex": card.sex,
        "birth_date": card.birth_date,
        "city": card.city,
        "district": card.district,
        "building": card.building,
        "network_node": card.network_node,
        "addresses": [_address(a) for a in card.addresses],
        "products": list(card.products),
        "equipment": list(card.equipment),
        "preferred_channels": [c.value for c in card.preferred_channels],
        "contact_persons": [
            {"name": p.name, "role": p.role, "phone": p.phone, "email": p.email}
            for p in card.contact_persons
        ],
        "notes": card.notes,
        "created_at": card.created_at,
        "updated_at": card.updated_at,
        "converted_at": card.converted_at,
    }


def phone_rows(
    customer_id: uuid.UUID, phones: Sequence[Phone]
) -> list[dict[str, object]]:
    return [
        {
            "id": uuid.uuid4(),
            "customer_id": customer_id,
            "raw": p.raw,
            "e164": p.e164,
            "extension": p.extension,
            "kind": p.kind.value,
            "is_primary": p.is_primary,
        }
        for p in phones
    ]


async def insert_card(s: AsyncSession, card: CustomerCard) -> None:
    s.add(CustomerRow(id=card.id, **row_values(card)))
    await s.flush()
    s.add_all(CustomerPhoneRow(**r) for r in phone_rows(card.id, card.phones))


async def replace_card(s: AsyncSession, card: CustomerCard) -> None:
    row = await s.get(CustomerRow, card.id)
    assert row is not None
    for name, value in row_values(card).items():
        setattr(row, name, value)
    await s.execute(
        delete(CustomerPhoneRow).where(CustomerPhoneRow.customer_id == card.id)
    )
    s.add_all(CustomerPhoneRow(**r) for r in phone_rows(card.id, card.phones))


async def delete_card(s: AsyncSession, customer_id: CustomerId) -> None:
    await s.execute(delete(CustomerRow).where(CustomerRow.id == customer_id))


async def load_card(s: AsyncSession, customer_id: uuid.UUID) -> CustomerCard | None:
    row = await s.get(CustomerRow, customer_id)
    if row is None:
        return None
    phones = (
        await s.scalars(
            select(CustomerPhoneRow)
            .where(CustomerPhoneRow.customer_id == customer_id)
            .order_by(CustomerPhoneRow.is_primary.desc(), CustomerPhoneRow.raw)
        )
    ).all()
    return card_from(row, phones)


def card_from(row: CustomerRow, phones: Sequence[CustomerPhoneRow]) -> CustomerCard:
    return CustomerCard(
        id=CustomerId(row.id),
        kind=CustomerKind(row.kind),
        is_lead=row.is_lead,
        name=row.name,
        category=row.category,
        customer_group=row.customer_group,
        account=row.account,
        balance=row.balance,
        phones=tuple(
            Phone(
                raw=p.raw,
                e164=p.e164,
                extension=p.extension,
                kind=PhoneKind(p.kind),
                is_primary=p.is_primary,
            )
            for p in phones
        ),
        emails=tuple(row.emails),
        sex=row.sex,
        birth_date=row.birth_date,
        city=row.city,
        district=row.district,
        building=row.building,
        network_node=row.network_node,
        addresses=tuple(Address(**a) for a in row.addresses),
        products=tuple(row.products),
        equipment=tuple(row.equipment),
        preferred_channels=tuple(Channel(c) for c in row.preferred_channels),
        contact_persons=tuple(ContactPerson(**p) for p in row.contact_persons),
        notes=row.notes,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        converted_at=maybe_aware(row.converted_at),
    )


async def account_owner(s: AsyncSession, account: str) -> uuid.UUID | None:
    return await s.scalar(select(CustomerRow.id).where(CustomerRow.account == account))


def search_query(
    *,
    text: str | None,
    e164: str | None,
    account: str | None,
    category: str | None,
    is_lead: bool | None,
    groups: frozenset[str] | None,
) -> SummarySelect:
    """Customers matching every filter, ordered by (name, id) for keyset paging."""
    query: SummarySelect = select(*SUMMARY_COLUMNS)
    if e164 is not None:
        query = query.where(
            CustomerRow.id.in_(
                select(CustomerPhoneRow.customer_id).where(
                    CustomerPhoneRow.e164 == e164
                )
            )
        )
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            CustomerRow.name_folded.like(f"%{escaped.casefold()}%", escape="\\")
        )
    if account is not None:
        query = query.where(CustomerRow.account == account)
    if category is not None:
        query = query.where(CustomerRow.category == category)
    if is_lead is not None:
        query = query.where(CustomerRow.is_lead == is_lead)
    if groups is not None:
        query = query.where(func.coalesce(CustomerRow.customer_group, "").in_(groups))
    return query.order_by(CustomerRow.name, CustomerRow.id)


async def summaries_of(
    s: AsyncSession, ids: Collection[uuid.UUID], groups: frozenset[str] | None
) -> list[CustomerSummary]:
    """The customers of `ids` in `groups` (None: any group)."""
    query = select(*SUMMARY_COLUMNS).where(CustomerRow.id.in_(sorted(set(ids))))
    if groups is not None:
        query = query.where(func.coalesce(CustomerRow.customer_group, "").in_(groups))
    return [summary_from(tuple(r)) for r in (await s.execute(query)).all()]


def after(query: SummarySelect, name: str, row_id: uuid.UUID) -> SummarySelect:
    return query.where(
        or_(
            CustomerRow.name > name,
            (CustomerRow.name == name) & (CustomerRow.id > row_id),
        )
    )


async def add_info_request(s: AsyncSession, request: InfoRequest) -> None:
    s.add(
        InfoRequestRow(
            id=request.id,
            customer_id=request.customer_id,
            subject=request.subject,
            details=request.details,
            requested_at=request.requested_at,
            agent_id=request.agent_id,
        )
    )


async def info_requests(s: AsyncSession, customer_id: uuid.UUID) -> list[InfoRequest]:
    rows = await s.scalars(
        select(InfoRequestRow)
        .where(InfoRequestRow.customer_id == customer_id)
        .order_by(InfoRequestRow.requested_at.desc(), InfoRequestRow.id)
    )
    return [
        InfoRequest(
            id=r.id,
            customer_id=CustomerId(r.customer_id),
            subject=r.subject,
            details=r.details,
            requested_at=aware(r.requested_at),
            agent_id=r.agent_id,
        )
        for r in rows
    ]
