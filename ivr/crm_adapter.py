"""The IVR's CRM port served in process by the crm_core services: identification,
lookups and the writes a flow makes. Translates CRM errors, database failures and
timeouts into the port's errors; decides nothing about the flow."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from crm_core.auth.model import system_actor
from crm_core.clock import Clock
from crm_core.customers.errors import CustomerNotFound
from crm_core.customers.model import CustomerCard, Identified
from crm_core.customers.service import CustomerService
from crm_core.errors import CrmError
from crm_core.outages.model import Outage, Place
from crm_core.outages.service import OutageService
from crm_core.selfservice.errors import ReadingRejected
from crm_core.selfservice.model import OpenAppealFacts
from crm_core.selfservice.seed import VOICEMAIL_TOPIC
from crm_core.selfservice.service import SelfService
from crm_core.selfservice.voicemail import VoicemailService
from ivr.crm_port import (
    DEFAULT_METER,
    ActiveOutage,
    CallerInfo,
    CrmUnavailable,
    LookupAnswer,
    OpenAppeal,
    OutageKind,
    ReadingRefused,
)
from ivr.model import FieldValue, LookupKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrCrmOptions:
    currency: str = "RUB"
    """Spoken with balances."""
    default_language: str = "en"
    """Picks an outage's text when the caller's language is unknown."""
    vip_categories: frozenset[str] = frozenset({"vip"})
    """Customer categories (compared without case) that make a caller a VIP."""
    order_topics: frozenset[str] = frozenset()
    """Appeal topic codes that are orders: order_status answers from these, and
    appeal_status leaves them out."""
    voicemail_topics: Mapping[str, str] = field(default_factory=dict)
    """A flow's voicemail topic -> the CRM topic code (unmapped: used as is)."""
    fallback_voicemail_topic: str = VOICEMAIL_TOPIC
    """Used when the flow's topic is not a usable CRM topic."""
    timeout_s: float = 5.0
    """Per read; a voicemail (which streams the recording) gets four times this."""


class InProcessIvrCrm:
    """IvrCrm over the CRM services of this process."""

    def __init__(
        self,
        *,
        customers: CustomerService,
        selfservice: SelfService,
        outages: OutageService,
        voicemail: VoicemailService,
        clock: Clock,
        options: IvrCrmOptions | None = None,
    ) -> None:
        self._customers = customers
        self._selfservice = selfservice
        self._outages = outages
        self._voicemail = voicemail
        self._clock = clock
        self._options = options or IvrCrmOptions()

    async def caller(self, ani: str, *, call_id: str) -> CallerInfo:
        async with self._guard("caller", call_id):
            found = await self._customers.identify(ani)
            if not isinstance(found, Identified):
                return CallerInfo(ani=ani)
            card = await self._customers.get(system_actor(), found.customer.id)
            appeal = await self._selfservice.open_appeal(
                card.id, excluding=self._options.order_topics
            )
            outage = await self._outages.active_for(_place(card))
        return _caller(ani, card, self._options, appeal, outage)

    async def lookup(
        self, kind: LookupKind, params: Mapping[str, str], caller: CallerInfo
    ) -> LookupAnswer:
        call_id = params.get("call_id", "")
        async with self._guard(f"lookup {kind}", call_id):
            match kind:
                case LookupKind.BALANCE:
                    return await self._balance(caller)
                case LookupKind.APPEAL_STATUS:
                    return await self._appeal(
                        caller, excluding=self._options.order_topics
                    )
                case LookupKind.ORDER_STATUS:
                    return await self._order(caller)
                case LookupKind.OUTAGE:
                    return await self._outage(caller)

    async def store_meter_reading(
        self,
        customer_id: uuid.UUID,
        *,
        value: Decimal,
        call_id: str,
        at: datetime,
        meter: str = DEFAULT_METER,
    ) -> None:
        try:
            refusals = (ReadingRejected, CustomerNotFound)
            async with self._guard("meter reading", call_id, passing=refusals):
                await self._selfservice.store_reading(
                    customer_id, value=value, call_id=call_id, taken_at=at, meter=meter
                )
        except ReadingRejected as e:
            raise ReadingRefused(e.reason, str(e)) from e
        except CustomerNotFound as e:
            raise ReadingRefused("customer", str(e)) from e

    async def register_callback(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: uuid.UUID | None,
        queue: str,
        note: str = "",
    ) -> uuid.UUID:
        async with self._guard("callback", call_id):
            request = await self._selfservice.register_callback(
                call_id=call_id, ani=ani, customer_id=customer_id, queue=queue,
                note=note,
            )  # fmt: skip
        return request.id

    async def store_survey_answer(
        self,
        *,
        call_id: str,
        customer_id: uuid.UUID | None,
        question: str,
        answer: str,
        channel: str = "dtmf",
    ) -> None:
        async with self._guard("survey", call_id):
            await self._selfservice.store_survey_answer(
                call_id=call_id, customer_id=customer_id, question=question,
                answer=answer, channel=channel,
            )  # fmt: skip

    async def leave_voicemail(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: uuid.UUID | None,
        recording: Path,
        topic_code: str,
    ) -> uuid.UUID:
        options = self._options
        async with self._guard("voicemail", call_id, factor=4):
            appeal = await self._voicemail.leave(
                call_id=call_id, ani=ani, customer_id=customer_id, recording=recording,
                topic_code=options.voicemail_topics.get(topic_code, topic_code),
                fallback_topic=options.fallback_voicemail_topic,
            )  # fmt: skip
        log.info("call=%s voicemail became appeal=%s", call_id, appeal.id)
        return appeal.id

    async def outage_heard(self, *, call_id: str, outage_id: uuid.UUID) -> None:
        async with self._guard("outage heard", call_id):
            await self._outages.record_heard(outage_id=outage_id, call_id=call_id)

    # --- lookups ----------------------------------------------------------------

    async def _balance(self, caller: CallerInfo) -> LookupAnswer:
        if caller.customer_id is None:
            return LookupAnswer(found=False)
        card = await self._customers.get(system_actor(), caller.customer_id)
        fields: dict[str, FieldValue] = {
            "amount": card.balance, "currency": self._options.currency,
            "as_of": self._clock.now(), "due_date": None,
        }  # fmt: skip
        return LookupAnswer(found=True, fields=fields)

    async def _appeal(
        self,
        caller: CallerInfo,
        *,
        topics: Collection[str] | None = None,
        excluding: Collection[str] = (),
    ) -> LookupAnswer:
        if caller.customer_id is None:
            return LookupAnswer(found=False)
        facts = await self._selfservice.open_appeal(
            caller.customer_id, topics=topics, excluding=excluding
        )
        if facts is None:
            return LookupAnswer(found=False)
        fields: dict[str, FieldValue] = {
            "number": facts.number, "status": _spoken(facts.status),
            "topic": facts.topic_name, "updated_at": facts.updated_at,
        }  # fmt: skip
        return LookupAnswer(found=True, fields=fields)

    async def _order(self, caller: CallerInfo) -> LookupAnswer:
        if caller.customer_id is None or not self._options.order_topics:
            return LookupAnswer(found=False)
        facts = await self._selfservice.open_appeal(
            caller.customer_id, topics=self._options.order_topics
        )
        if facts is None:
            return LookupAnswer(found=False)
        fields: dict[str, FieldValue] = {
            "number": facts.number, "status": _spoken(facts.status),
            "expected_on": None if facts.deadline_at is None
            else facts.deadline_at.date(),
        }  # fmt: skip
        return LookupAnswer(found=True, fields=fields)

    async def _outage(self, caller: CallerInfo) -> LookupAnswer:
        """Answers from the outage found on entry when there is one (the caller hears
        what the call recorded); otherwise asks again, as an outage may have started
        since. A stranger has no place: no outage."""
        outage = caller.outage
        if outage is None and caller.customer_id is not None:
            place = Place(
                city=caller.city, district=caller.district, building=caller.building,
                network_node=caller.network_node,
            )  # fmt: skip
            found = await self._outages.active_for(place)
            language = caller.language or self._options.default_language
            outage = None if found is None else _active(found, language)
        if outage is None:
            return LookupAnswer(found=True, fields={"active": False})
        fields: dict[str, FieldValue] = {
            "active": True, "kind": outage.kind.value, "text": outage.text,
            "expected_end": outage.expected_end,
            "outage_id": str(outage.outage_id),
        }  # fmt: skip
        return LookupAnswer(found=True, fields=fields)

    @asynccontextmanager
    async def _guard(
        self,
        what: str,
        call_id: str,
        *,
        factor: float = 1,
        passing: tuple[type[CrmError], ...] = (),
    ) -> AsyncIterator[None]:
        """Bound the work by the timeout; turn failures into CrmUnavailable, except
        the CRM refusals in `passing`, which the caller translates itself."""
        try:
            async with asyncio.timeout(self._options.timeout_s * factor):
                yield
        except TimeoutError as e:
            log.warning("call=%s CRM %s timed out", call_id, what)
            raise CrmUnavailable(f"CRM {what} timed out") from e
        except (SQLAlchemyError, OSError) as e:
            log.warning("call=%s CRM %s failed: %s", call_id, what, e)
            raise CrmUnavailable(f"CRM {what} failed: {e}") from e
        except CrmError as e:
            if isinstance(e, passing):
                raise

            log.warning("call=%s CRM %s refused: %s", call_id, what, e)
            raise CrmUnavailable(f"CRM {what} refused: {e}") from e


def _place(card: CustomerCard) -> Place:
    return Place(
        city=card.city, district=card.district, building=card.building,
        network_node=card.network_node,
    )  # fmt: skip


def _caller(
    ani: str,
    card: CustomerCard,
    options: IvrCrmOptions,
    appeal: OpenAppealFacts | None,
    outage: Outage | None,
) -> CallerInfo:
    vips = {c.casefold() for c in options.vip_categories}
    return CallerInfo(
        ani=ani, customer_id=card.id, name=card.name, category=card.category,
        vip=card.category.casefold() in vips, account=card.account,
        balance=card.balance, language=None, city=card.city,
        district=card.district, building=card.building,
        network_node=card.network_node,
        open_appeal=None if appeal is None else OpenAppeal(
            appeal_id=appeal.appeal_id, number=appeal.number,
            status=_spoken(appeal.status), topic=appeal.topic_name,
            updated_at=appeal.updated_at,
        ),
        outage=None if outage is None else _active(outage, options.default_language),
    )  # fmt: skip


def _active(outage: Outage, language: str) -> ActiveOutage:
    return ActiveOutage(
        outage_id=outage.id, kind=OutageKind(outage.kind.value),
        text=outage.text_for(language), starts_at=outage.starts_at,
        expected_end=outage.expected_end,
    )  # fmt: skip


def _spoken(status: str) -> str:
    """ "in_progress" is read as "in progress"."""
    return status.replace("_", " ")
