"""Search, bulk and report errors, specialising the shared tree in crm_core/errors.py.

CrmError
└── ValidationFailed
    ├── BadFilter         a search filter or report parameter that cannot be used
    ├── BadCursor         a cursor this search did not give out (or from another sort)
    └── BatchTooLarge     a bulk operation over more appeals than allowed at once
"""

from __future__ import annotations

from crm_core.errors import FieldError, ValidationFailed


class BadFilter(ValidationFailed):
    error_id = "bad_filter"


class BadCursor(ValidationFailed):
    error_id = "bad_cursor"

    def __init__(self) -> None:
        super().__init__([FieldError("cursor", "is not a cursor this search gave out")])


class BatchTooLarge(ValidationFailed):
    error_id = "batch_too_large"

    def __init__(self, field: str, limit: int) -> None:
        self.limit = limit
        super().__init__(
            [FieldError(field, f"covers more than {limit} appeals; narrow it down")]
        )
