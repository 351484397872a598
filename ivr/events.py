"""Events the IVR runner publishes: one IvrCompleted per call it served, whatever
the way out (queue, voicemail, transfer, hang-up, the caller leaving, a failure).
Plain frozen data; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrCompleted:
    """The IVR let go of a call. `outcome` is an ivr.handoff.Outcome value; `queue`,
    `skills` and `priority` say where the ACD takes the call (queue None when the
    call did not go to a queue); `data` is the hand-off (flow, version, menu path,
    values, recognised values, last node), the journal and the outcome's details,
    as JSON primitives for the contact record and the screen-pop. `data` always
    has `last_node` (None when no flow ran) and `ended`, an ivr.handoff.Ending
    value: where the caller left (hung up mid-prompt, mid-input, mid-recording)
    or the fallback that ended the flow (no_input, invalid_input, ...)."""

    topic: ClassVar[str] = "ivr.completed"
    occurred_at: datetime
    call_id: str
    ani: str
    customer_id: str | None
    outcome: str
    queue: str | None
    skills: tuple[str, ...]
    priority: int
    language: str
    data: Mapping[str, JsonValue]
