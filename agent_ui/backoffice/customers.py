"""Customers for the back office: search by name, phone or account (only the
customer groups the viewer may see), and the customer's card with their
contacts (call log and recordings) and appeals, a page of each at a time. Reads
through the CRM services; decides nothing itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from agent_ui.call_log import CallLog, ContactPage
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import Actor
from crm_core.customers.model import CustomerCard, CustomerSummary, Page
from crm_core.customers.service import CustomerQuery, CustomerService
from crm_core.reports.filters import AppealFilter
from crm_core.reports.model import SearchPage
from crm_core.reports.search import AppealSearch


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerPage:
    card: CustomerCard
    contacts: ContactPage
    appeals: SearchPage
    topic_names: Mapping[uuid.UUID, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Cursors:
    """Where each list of the card goes on from (None: its first page)."""

    contacts: str | None = None
    appeals: str | None = None


class CustomerDesk:
    def __init__(
        self,
        customers: CustomerService,
        calls: CallLog,
        search: AppealSearch,
        topics: TopicService,
    ) -> None:
        self._customers = customers
        self._calls = calls
        self._search = search
        self._topics = topics

    async def find(
        self, actor: Actor, query: CustomerQuery, *, cursor: str | None, limit: int
    ) -> Page[CustomerSummary]:
        """Customers matching every part of `query`, by name. ValidationFailed
        for a phone that is no number or a bad cursor."""
        return await self._customers.search(actor, query, cursor=cursor, limit=limit)

    async def card(
        self, actor: Actor, customer_id: uuid.UUID, cursors: Cursors, *, limit: int
    ) -> CustomerPage:
        """The card with a page of contacts and of appeals (newest first).
        Raises CustomerNotFound, CustomerHidden (a Forbidden)."""
        card = await self._customers.get(actor, customer_id)
        contacts = await self._calls.of_customer(
            actor, customer_id, cursor=cursors.contacts, limit=limit
        )
        appeals = await self._search.search(
            actor, AppealFilter(customer_id=customer_id, include_archived=True),
            cursor=cursors.appeals, limit=limit,
        )  # fmt: skip
        names: dict[uuid.UUID, str] = {
            t.id: t.name for t in await self._topics.tree(actor)
        }
        return CustomerPage(
            card=card, contacts=contacts, appeals=appeals, topic_names=names
        )
