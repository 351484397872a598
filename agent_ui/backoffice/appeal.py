"""The appeal page's service: everything about one appeal (its form, history,
files, contacts with recordings, child appeals, the steps the viewer may take,
whom it may be given to) and those steps themselves, each through the CRM's
services, guarded by the version the page showed. Decides nothing itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from agent_ui.agent.registration import TopicMenu, topic_menu
from agent_ui.call_log import CallLog, PastContact
from crm_core.appeals.actions import current_queue
from crm_core.appeals.attachments import Attachment, AttachmentService
from crm_core.appeals.model import Appeal, AppealId, TopicId
from crm_core.appeals.service import AppealDraft, AppealInput, AppealService, AppealView
from crm_core.appeals.topics import TopicService
from crm_core.auth.directory import Directory, Person
from crm_core.auth.model import Actor, Permission
from crm_core.customers.model import CustomerCard
from crm_core.customers.service import CustomerService
from crm_core.errors import NotFound


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealPage:
    view: AppealView
    customer: CustomerCard | None
    """None for an appeal of no customer (or one the viewer may not read)."""
    attachments: Sequence[Attachment]
    contacts: Sequence[PastContact]
    """The contact it was registered on, then its children's."""
    people: Mapping[uuid.UUID, Person]
    """Everyone its history, owner and children name."""
    assignable: Sequence[Person]
    """Whom the viewer may give it to (members of its queue)."""
    topics: TopicMenu
    """What a child appeal may be about."""
    topic_names: Mapping[uuid.UUID, str]
    upload_limit_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealDeskParts:
    appeals: AppealService
    topics: TopicService
    attachments: AttachmentService
    customers: CustomerService
    calls: CallLog
    directory: Directory


@dataclass(frozen=True, slots=True, kw_only=True)
class Typed:
    """A step's input from the page: the version the page showed and words."""

    version: int | None
    comment: str = ""


class AppealDesk:
    def __init__(self, parts: AppealDeskParts) -> None:
        self._appeals = parts.appeals
        self._topics = parts.topics
        self._attachments = parts.attachments
        self._customers = parts.customers
        self._calls = parts.calls
        self._directory = parts.directory

    async def page(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        attributes: Mapping[str, object] | None = None,
    ) -> AppealPage:
        """The appeal as its page shows it, its form for `attributes` typed over
        its values. Raises AppealNotFound, AppealHidden (a Forbidden)."""
        view = await self._appeals.view(actor, appeal_id, attributes=attributes)
        appeal = view.appeal
        return AppealPage(
            view=view,
            customer=await self._customer(actor, appeal.customer_id),
            attachments=await self._attachments.list(actor, appeal_id),
            contacts=await self._calls.contacts(actor, _contact_ids(view)),
            people=await self._directory.people(actor, _people_ids(view)),
            assignable=await self._assignable(actor, view),
            topics=await topic_menu(self._topics, actor),
            topic_names={t.id: t.name for t in await self._topics.tree(actor)},
            upload_limit_bytes=self._attachments.max_bytes,
        )

    # steps ------------------------------------------------------------------

    async def take(self, actor: Actor, appeal_id: uuid.UUID, typed: Typed) -> Appeal:
        return await self._appeals.take(
            actor, appeal_id, expected_version=typed.version
        )

    async def assign(
        self, actor: Actor, appeal_id: uuid.UUID, typed: Typed, assignee_id: uuid.UUID
    ) -> Appeal:
        return await self._appeals.assign(
            actor, appeal_id, assignee_id=assignee_id, comment=typed.comment,
            expected_version=typed.version,
        )  # fmt: skip

    async def pass_on(
        self, actor: Actor, appeal_id: uuid.UUID, typed: Typed, transition: str
    ) -> Appeal:
        return await self._appeals.pass_on(
            actor, appeal_id, transition=transition, comment=typed.comment,
            expected_version=typed.version,
        )  # fmt: skip

    async def reject(self, actor: Actor, appeal_id: uuid.UUID, typed: Typed) -> Appeal:
        """Back to the previous stage; the comment is the reason."""
        return await self._appeals.reject(
            actor, appeal_id, reason=typed.comment, expected_version=typed.version
        )

    async def close(self, actor: Actor, appeal_id: uuid.UUID, typed: Typed) -> Appeal:
        return await self._appeals.close(
            actor, appeal_id, comment=typed.comment, expected_version=typed.version
        )

    async def reopen(self, actor: Actor, appeal_id: uuid.UUID, typed: Typed) -> Appeal:
        return await self._appeals.reopen(
            actor, appeal_id, comment=typed.comment, expected_version=typed.version
        )

    async def set_deadline(
        self, actor: Actor, appeal_id: uuid.UUID, typed: Typed, deadline_at: datetime
    ) -> Appeal:
        return await self._appeals.set_deadline(
            actor, appeal_id, deadline_at=deadline_at, comment=typed.comment,
            expected_version=typed.version,
        )  # fmt: skip

    async def edit(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        typed: Typed,
        attributes: Mapping[str, object],
    ) -> Appeal:
        """New attribute values and description (the comment); ValidationFailed
        names each bad field and nothing is saved then."""
        return await self._appeals.edit(
            actor, appeal_id, description=typed.comment, attributes=attributes,
            expected_version=typed.version,
        )  # fmt: skip

    async def child_form(
        self, actor: Actor, appeal_id: uuid.UUID, child: AppealInput
    ) -> AppealDraft:
        """The form of a child appeal for what is typed so far (the parent's
        customer)."""
        parent = await self._appeals.get(actor, appeal_id)
        return await self._appeals.draft(actor, _of_parent(child, parent))

    async def add_child(
        self, actor: Actor, appeal_id: uuid.UUID, child: AppealInput
    ) -> Appeal:
        return await self._appeals.create_child(actor, AppealId(appeal_id), child)

    # reading ---------------------------------------------------------------

    async def _customer(
        self, actor: Actor, customer_id: uuid.UUID | None
    ) -> CustomerCard | None:
        if customer_id is None or not actor.can(Permission.CUSTOMER_READ):
            return None
        try:
            return await self._customers.get(actor, customer_id)
        except NotFound:
            return None

    async def _assignable(self, actor: Actor, view: AppealView) -> list[Person]:
        if not view.allowed.assign:
            return []
        queue = current_queue(view.appeal, view.route)
        if queue is None:
            return []
        return await self._directory.members(
            actor, queues=(queue.name,), ids=queue.members
        )


def _of_parent(child: AppealInput, parent: Appeal) -> AppealInput:
    return AppealInput(
        topic_id=child.topic_id or TopicId(parent.topic_id),
        customer_id=parent.customer_id, contact_id=parent.contact_id,
        description=child.description, attributes=child.attributes,
    )  # fmt: skip


def _contact_ids(view: AppealView) -> list[uuid.UUID]:
    return [
        a.contact_id for a in (view.appeal, *view.children) if a.contact_id is not None
    ]


def _people_ids(view: AppealView) -> set[uuid.UUID]:
    ids = {e.actor_id for e in view.history}
    ids |= {e.to_assignee_id for e in view.history if e.to_assignee_id}
    ids |= {a.assignee_id for a in (view.appeal, *view.children) if a.assignee_id}
    return ids
