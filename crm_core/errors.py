"""CRM errors, shared by every part of crm_core.

CrmError
├── NotFound           no such record (or not visible to the actor)      -> HTTP 404
├── ValidationFailed   bad input; one FieldError per bad field           -> HTTP 422
├── Forbidden          the actor lacks the permission                    -> HTTP 403
└── Conflict           the record's state does not allow the operation   -> HTTP 409
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CrmError(Exception):
    error_id = "crm_error"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    """The path as the caller wrote it: `phones[1].number`, `attributes.Speed`."""
    message: str


class NotFound(CrmError):
    error_id = "not_found"


class ValidationFailed(CrmError):
    error_id = "invalid_input"

    def __init__(self, errors: Sequence[FieldError], message: str = "") -> None:
        self.errors = tuple(errors)
        text = message or "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(text)


class Forbidden(CrmError):
    error_id = "forbidden"


class Conflict(CrmError):
    error_id = "conflict"
