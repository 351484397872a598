"""The customer service on SQLite and PostgreSQL: cards, leads, search, identify."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.customers.errors import CustomerNotFound, DuplicateAccount, NotALead
from crm_core.customers.model import Ambiguous, Identified, Unknown
from crm_core.customers.service import CustomerQuery, CustomerService
from crm_core.customers.tables import CustomerPhoneRow, CustomerRow
from crm_core.db import Sessions
from crm_core.errors import Forbidden, ValidationFailed
from tests.fakes import FakeClock


def actor(role: Role = Role.AGENT, groups: frozenset[str] | None = None) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        login=f"{role}-user",
        role=role,
        permissions=ROLE_PERMISSIONS[role],
        customer_groups=groups,
    )


def service(sessions: Sessions) -> CustomerService:
    return CustomerService(sessions, FakeClock(), default_country="RU")


IVANOV = {
    "name": "Иванов Иван Иванович",
    "category": "VIP",
    "customer_group": "moscow",
    "account": "100200",
    "balance": "150.25",
    "phones": [
        {"number": "8 (495) 123-45-67", "kind": "home"},
        {"number": "+7 916 000-11-22"},
    ],
    "emails": ["ivanov@example.ru"],
    "sex": "m",
    "birth_date": "1980-02-03",
    "city": "Москва",
    "addresses": [{"city": "Москва", "street": "Тверская", "building": "1"}],
    "products": ["internet-100"],
    "equipment": ["router TP-Link"],
    "preferred_channels": ["sms", "email"],
    "contact_persons": [{"name": "Мария", "role": "жена"}],
}


async def count(sessions: Sessions, table: type[CustomerRow | CustomerPhoneRow]) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def test_created_card_reads_back_whole_when_stored(sessions: Sessions) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    again = await svc.get(actor(), card.id)
    assert again == card
    assert again.balance == Decimal("150.25")
    assert [p.e164 for p in again.phones] == ["+74951234567", "+79160001122"]
    assert again.phones[0].is_primary
    assert again.addresses[0].street == "Тверская"
    assert again.created_at.tzinfo is not None


@pytest.mark.parametrize(
    "ani", ["8 (495) 123-45-67", "+7 495 1234567", "0074951234567", "4951234567"]
)
async def test_identify_finds_the_customer_when_the_ani_is_in_any_format(
    sessions: Sessions, ani: str
) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    found = await svc.identify(ani)
    assert isinstance(found, Identified)
    assert found.customer.id == card.id


async def test_identify_lists_candidates_when_a_number_is_shared(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    first = await svc.create(
        actor(), {"name": "A", "phones": [{"number": "84951112233"}]}
    )
    second = await svc.create(
        actor(), {"name": "B", "phones": [{"number": "+74951112233"}]}
    )
    found = await svc.identify("74951112233")
    assert isinstance(found, Ambiguous)
    assert {c.id for c in found.candidates} == {first.id, second.id}


@pytest.mark.parametrize("ani", ["", "anonymous", "123", "+7 495 12"])
async def test_identify_is_unknown_when_the_ani_is_not_a_number_or_unheld(
    sessions: Sessions, ani: str
) -> None:
    svc = service(sessions)
    await svc.create(actor(), IVANOV)
    assert await svc.identify(ani) == Unknown(ani=ani)


async def test_identify_prefers_the_customer_when_a_lead_shares_the_number(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    await svc.create(
        actor(), {"name": "Lead", "phones": [{"number": "4951234567"}]}, lead=True
    )
    found = await svc.identify("84951234567")
    assert isinstance(found, Identified)
    assert found.customer.id == card.id


async def test_bad_fields_are_each_named_and_nothing_is_stored_when_input_is_invalid(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    bad = {
        **IVANOV,
        "balance": "a lot",
        "phones": [{"number": "8 495 123-45-67"}, {"number": "call me"}],
        "emails": ["nobody"],
        "birth_date": "yesterday",
        "colour": "blue",
    }
    with pytest.raises(ValidationFailed) as caught:
        await svc.create(actor(), bad)
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) == {
        "balance",
        "phones[1].number",
        "emails[0]",
        "birth_date",
        "colour",
    }
    assert "unexpected character" in fields["phones[1].number"]
    assert await count(sessions, CustomerRow) == 0
    assert await count(sessions, CustomerPhoneRow) == 0


async def test_account_conflict_keeps_the_first_card_when_a_second_claims_it(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    first = await svc.create(actor(), IVANOV)
    with pytest.raises(DuplicateAccount):
        await svc.create(actor(), {"name": "Other", "account": "100200"})
    assert (await svc.get(actor(), first.id)).name == IVANOV["name"]
    assert await count(sessions, CustomerRow) == 1


async def test_update_changes_only_given_fields_when_edited(sessions: Sessions) -> None:
    clock = FakeClock()
    svc = CustomerService(sessions, clock)
    card = await svc.create(actor(), IVANOV)
    clock.advance(60)
    edited = await svc.update(
        actor(), card.id, {"category": "BIS", "phones": [{"number": "8 800 200 00 00"}]}
    )
    assert edited.category == "BIS"
    assert edited.name == card.name
    assert [p.e164 for p in edited.phones] == ["+78002000000"]
    assert edited.created_at == card.created_at
    assert edited.updated_at > card.updated_at
    assert isinstance(await svc.identify("84951234567"), Unknown)


async def test_update_stores_nothing_when_a_field_is_invalid(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    with pytest.raises(ValidationFailed):
        await svc.update(actor(), card.id, {"category": "", "phones": []})
    assert await svc.get(actor(), card.id) == card


async def test_rights_are_checked_when_the_role_lacks_them(sessions: Sessions) -> None:
    svc = service(sessions)
    with pytest.raises(Forbidden):
        await svc.create(actor(Role.MARKETING), IVANOV)
    assert await count(sessions, CustomerRow) == 0


async def test_customer_is_hidden_when_outside_the_actors_groups(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    outsider = actor(groups=frozenset({"spb"}))
    with pytest.raises(CustomerNotFound):
        await svc.get(outsider, card.id)
    page = await svc.search(outsider, CustomerQuery())
    assert page.items == ()
    insider = actor(groups=frozenset({"moscow"}))
    assert (await svc.get(insider, card.id)).id == card.id


async def test_lead_becomes_a_customer_when_converted(sessions: Sessions) -> None:
    svc = service(sessions)
    lead = await svc.create(
        actor(), {"name": "Prospect", "phones": [{"number": "89161234567"}]}, lead=True
    )
    customer = await svc.convert_lead(actor(), lead.id, account="555", category="BIS")
    assert customer.id == lead.id
    assert not customer.is_lead
    assert customer.account == "555"
    assert customer.converted_at is not None
    with pytest.raises(NotALead):
        await svc.convert_lead(actor(), lead.id)


async def test_search_pages_through_all_matches_when_using_the_cursor(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    for i in range(7):
        await svc.create(
            actor(),
            {"name": f"Smith {i % 3}", "category": "BIS" if i % 2 else "mass"},
        )
    await svc.create(actor(), {"name": "Jones"})
    seen: list[str] = []
    cursor = None
    while True:
        page = await svc.search(
            actor(), CustomerQuery(text="smith"), cursor=cursor, limit=3
        )
        seen.extend(c.name for c in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == 7
    bis = await svc.search(actor(), CustomerQuery(category="BIS"))
    assert len(bis.items) == 3


async def test_search_by_phone_finds_the_holder_when_written_differently(
    sessions: Sessions,
) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    page = await svc.search(actor(), CustomerQuery(phone="+7(916)000-11-22"))
    assert [c.id for c in page.items] == [card.id]
    with pytest.raises(ValidationFailed) as caught:
        await svc.search(actor(), CustomerQuery(phone="abc"))
    assert caught.value.errors[0].field == "phone"


async def test_info_requests_are_listed_when_recorded(sessions: Sessions) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    await svc.record_info_request(actor(), card.id, subject="tariffs", details="TV")
    listed = await svc.info_requests(actor(), card.id)
    assert [r.subject for r in listed] == ["tariffs"]
    with pytest.raises(ValidationFailed):
        await svc.record_info_request(actor(), card.id, subject=" ")


async def test_delete_removes_the_card_when_asked(sessions: Sessions) -> None:
    svc = service(sessions)
    card = await svc.create(actor(), IVANOV)
    await svc.delete(actor(), card.id)
    with pytest.raises(CustomerNotFound):
        await svc.get(actor(), card.id)
    assert await count(sessions, CustomerPhoneRow) == 0


async def test_numbers_follow_the_configured_country_when_it_is_not_russia(
    sessions: Sessions,
) -> None:
    svc = CustomerService(sessions, FakeClock(), default_country="BY")
    card = await svc.create(
        actor(), {"name": "Minsk", "phones": [{"number": "8 017 123 45 67"}]}
    )
    assert card.phones[0].e164 == "+375171234567"
    found = await svc.identify("80171234567")
    assert isinstance(found, Identified)
    assert found.customer.id == card.id
