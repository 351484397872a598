"""The CRM as one IVR call uses it: every request bounded by a timeout, its
failure logged and turned into what the flow expects (an unidentified caller, a
lookup not found, an action not done), and what was stored noted in the call's
IvrCompleted details."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from ivr.crm_port import CallerInfo, IvrCrm, IvrCrmError, ReadingRefused
from ivr.dialogue import (
    ActionDone,
    Callback,
    Lookup,
    LookupResult,
    StoreReading,
    StoreSurveyAnswer,
    Voicemail,
)
from ivr.events import JsonValue

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallCrm:
    """`details` is the call's IvrCompleted details, shared with its runner."""

    crm: IvrCrm
    call_id: str
    timeout_s: float
    details: dict[str, JsonValue]

    async def caller(self, ani: str) -> CallerInfo:
        """Who is calling from `ani`; unidentified when the CRM cannot say."""
        try:
            return await self._bounded(self.crm.caller(ani, call_id=self.call_id))
        except (IvrCrmError, TimeoutError) as exc:
            log.warning(
                "caller not identified call_id=%s ani=%s: %r",
                self.call_id,
                ani,
                exc,
            )
            return CallerInfo(ani=ani)

    async def lookup(self, action: Lookup, caller: CallerInfo) -> LookupResult:
        try:
            answer = await self._bounded(
                self.crm.lookup(action.kind, action.params, caller)
            )
        except (IvrCrmError, TimeoutError) as exc:
            log.warning(
                "lookup %s failed call_id=%s: %r", action.kind, self.call_id, exc
            )
            return LookupResult(found=False)
        return LookupResult(found=answer.found, fields=answer.fields)

    async def outage_heard(self, outage_id: UUID) -> None:
        self.details["outage_heard"] = str(outage_id)
        try:
            await self._bounded(
                self.crm.outage_heard(call_id=self.call_id, outage_id=outage_id)
            )
        except (IvrCrmError, TimeoutError) as exc:
            log.warning("outage heard not stored call_id=%s: %r", self.call_id, exc)

    async def callback(self, action: Callback, *, ani: str) -> ActionDone:
        try:
            request_id = await self._bounded(
                self.crm.register_callback(
                    call_id=self.call_id,
                    ani=action.number or ani,
                    customer_id=_uuid(action.data.customer_id),
                    queue=action.queue,
                    note=f"IVR {action.data.flow} at {action.data.last_node}",
                )
            )
        except (IvrCrmError, TimeoutError) as exc:
            log.warning("callback not registered call_id=%s: %r", self.call_id, exc)
            return ActionDone(ok=False)
        self.details["callback_id"] = str(request_id)
        return ActionDone()

    async def survey(self, action: StoreSurveyAnswer) -> ActionDone:
        try:
            await self._bounded(
                self.crm.store_survey_answer(
                    call_id=action.call_id,
                    customer_id=_uuid(action.customer_id),
                    question=action.question,
                    answer=action.answer,
                    channel=action.channel.value,
                )
            )
        except (IvrCrmError, TimeoutError) as exc:
            log.warning("survey answer lost call_id=%s: %r", self.call_id, exc)
            return ActionDone(ok=False)
        return ActionDone()

    async def store_reading(self, action: StoreReading, *, at: datetime) -> ActionDone:
        """Store the confirmed reading with the call's id and the time `at`; the
        flow tells the caller when it could not be stored."""
        customer_id = _uuid(action.customer_id)
        if customer_id is None:
            return ActionDone(ok=False, detail="caller not identified")
        try:
            await self._bounded(
                self.crm.store_meter_reading(
                    customer_id,
                    value=action.value,
                    call_id=self.call_id,
                    at=at,
                    meter=action.meter,
                )
            )
        except ReadingRefused as exc:
            log.warning(
                "meter reading refused call_id=%s customer=%s meter=%s: %s",
                self.call_id,
                customer_id,
                action.meter,
                exc.reason,
            )
            return ActionDone(ok=False, detail=f"refused: {exc.reason}")
        except (IvrCrmError, TimeoutError) as exc:
            log.error(
                "meter reading not stored call_id=%s customer=%s meter=%s: %r",
                self.call_id,
                customer_id,
                action.meter,
                exc,
            )
            return ActionDone(ok=False, detail="CRM unavailable")
        self.details["meter_reading"] = str(action.value)
        return ActionDone()

    async def voicemail(self, action: Voicemail, *, ani: str, recording: Path) -> None:
        """The message becomes an appeal; when the CRM cannot take it the recording
        stays where it is, named in the details."""
        try:
            appeal_id = await self._bounded(
                self.crm.leave_voicemail(
                    call_id=self.call_id,
                    ani=ani,
                    customer_id=_uuid(action.data.customer_id),
                    recording=recording,
                    topic_code=action.topic,
                )
            )
            self.details["voicemail_appeal_id"] = str(appeal_id)
        except (IvrCrmError, TimeoutError) as exc:
            log.error(
                "voicemail not stored call_id=%s recording=%s: %r",
                self.call_id,
                recording,
                exc,
            )
            self.details["voicemail_recording"] = str(recording)

    async def _bounded(self, call: Awaitable[T]) -> T:
        async with asyncio.timeout(self.timeout_s):
            return await call


def _uuid(value: str | None) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None
