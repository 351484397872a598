"""The CRM's view of a call as the recordings service reads it from the tables:
its contact, agent, appeals and the customer's group, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_core.auth.model import system_actor
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import ContactDirection
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from recordings.storage import SqlCallContacts
from tests.fakes import FakeClock


async def test_call_carries_its_customers_group_when_the_caller_is_known(
    sessions: Sessions,
) -> None:
    clock = FakeClock()
    customers = CustomerService(sessions, clock)
    contacts = ContactService(sessions, clock)
    await customers.create(
        system_actor(),
        {"name": "Big Corp", "customer_group": "VIP",
         "phones": [{"number": "+74951112233"}]},
    )  # fmt: skip
    for call_id, ani in (("pbx1:1.1", "+74951112233"), ("pbx1:1.2", "+74959998877")):
        await contacts.open_call_contact(
            call_id, ani, dnis="2001", direction=ContactDirection.IN,
            started_at=datetime.now(UTC),
        )  # fmt: skip
    view = SqlCallContacts(sessions)
    known, unknown = await view.of_call("pbx1:1.1"), await view.of_call("pbx1:1.2")
    assert known is not None
    assert unknown is not None
    assert known.customer_group == "VIP"
    assert unknown.customer_group is None
    assert await view.of_call("pbx1:none") is None
