"""A callback the ACD gave up on becomes an appeal (A5): of the failed-callback
topic, for the customer the number identifies, linked to the call's contact, once
per call. The claim row is written before the appeal so that a repeated event
cannot make a second one; a claim left without its appeal (the database went away
in between) is finished by the next try, so a retried record is never lost."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError

from crm_core.appeals.model import Appeal
from crm_core.appeals.service import AppealService
from crm_core.auth.model import system_actor
from crm_core.customers.model import Identified
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.keyed_locks import KeyedLocks
from crm_core.selfservice.call_appeals import open_call_appeal
from crm_core.selfservice.model import FailedCallback
from crm_core.selfservice.seed import CALLBACK_FAILED_TOPIC, VOICEMAIL_TOPIC
from crm_core.selfservice.tables import FailedCallbackRow

log = logging.getLogger(__name__)


class FailedCallbackService:
    def __init__(
        self,
        sessions: Sessions,
        appeals: AppealService,
        customers: CustomerService,
        *,
        topic_code: str = CALLBACK_FAILED_TOPIC,
        fallback_topic: str | None = VOICEMAIL_TOPIC,
    ) -> None:
        self._sessions = sessions
        self._appeals = appeals
        self._customers = customers
        self._topic = topic_code
        self._fallback = fallback_topic
        self._calls = KeyedLocks()

    async def record(self, failed: FailedCallback) -> Appeal:
        """The appeal for `failed`, created on the first call for its call id.

        A repeated call returns the appeal made the first time. Calls for one call
        id run one at a time, so a claim found without its appeal was left by a try
        that failed half-way: this one makes the appeal. Raises TopicMissing when
        neither topic code is a usable topic, and what AppealService.create raises;
        a later call for the call id then tries again."""
        async with self._calls(failed.call_id):
            if not await self._claim(failed):
                made = await self._recorded(failed.call_id)
                if made is not None:
                    return made
            appeal = await self._open(failed)
            async with self._sessions.begin() as s:
                row = await s.get(FailedCallbackRow, failed.call_id)
                assert row is not None
                row.appeal_id = appeal.id
        log.info(
            "call=%s queue=%s callback failed after %s attempts: appeal=%s",
            failed.call_id, failed.queue, failed.attempts, appeal.id,
        )  # fmt: skip
        return appeal

    async def _claim(self, failed: FailedCallback) -> bool:
        row = FailedCallbackRow(
            call_id=failed.call_id, queue=failed.queue[:64],
            number=failed.number[:64], attempts=failed.attempts,
            gave_up_at=failed.gave_up_at, appeal_id=None,
        )  # fmt: skip
        try:
            async with self._sessions.begin() as s:
                s.add(row)
        except IntegrityError:
            return False
        return True

    async def _recorded(self, call_id: str) -> Appeal | None:
        async with self._sessions() as s:
            row = await s.get(FailedCallbackRow, call_id)
        if row is None or row.appeal_id is None:
            return None
        return await self._appeals.get(system_actor(), row.appeal_id)

    async def _open(self, failed: FailedCallback) -> Appeal:
        tries = "attempt" if failed.attempts == 1 else "attempts"
        description = (
            f"Callback to {failed.number or 'an unknown number'} from queue "
            f"{failed.queue} failed after {failed.attempts} {tries} "
            f"(call {failed.call_id}). Call the customer back."
        )
        return await open_call_appeal(
            self._sessions, self._appeals, call_id=failed.call_id,
            customer_id=await self._customer(failed.number), description=description,
            topic_code=self._topic, fallback_topic=self._fallback,
        )  # fmt: skip

    async def _customer(self, number: str) -> uuid.UUID | None:
        found = await self._customers.identify(number)
        return found.customer.id if isinstance(found, Identified) else None
