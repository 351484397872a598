"""Self-service errors, specialising the shared CRM tree (crm_core/errors.py).

CrmError
├── NotFound
│   ├── CallbackNotFound     no such callback request
│   └── TopicMissing         no usable topic for a call's appeal (voicemail,
│                            failed callback)
├── ValidationFailed
│   └── ReadingRejected      a meter reading lower than the previous one, or out of
│                            range; `reason` is "lower" or "range"
└── Conflict
    └── CallbackFinished     the callback request is done or failed already
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_core.errors import Conflict, FieldError, NotFound, ValidationFailed


class CallbackNotFound(NotFound):
    error_id = "callback_not_found"


class TopicMissing(NotFound):
    error_id = "topic_missing"


class ReadingRejected(ValidationFailed):
    error_id = "reading_rejected"

    def __init__(self, errors: Sequence[FieldError], *, reason: str) -> None:
        super().__init__(errors)
        self.reason = reason


class CallbackFinished(Conflict):
    error_id = "callback_finished"
