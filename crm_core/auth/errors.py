"""Authentication errors, added to the shared CRM error tree.

CrmError (crm_core.errors)
├── Unauthenticated      no valid session, token or password          -> HTTP 401
│   └── LoginThrottled   too many failed sign-ins from this address or
│                        for this login; retry after `retry_after_s`  -> HTTP 429
├── PasswordWorkBusy     too many sign-ins being checked at once      -> HTTP 503
└── Forbidden
    └── CsrfRejected     a cookie-authenticated unsafe request lacks
                         the session's X-CSRF-Token header            -> HTTP 403
"""

from __future__ import annotations

import math

from crm_core.errors import CrmError, Forbidden


class Unauthenticated(CrmError):
    error_id = "unauthenticated"


class LoginThrottled(Unauthenticated):
    error_id = "login_throttled"

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        super().__init__(
            f"too many failed sign-ins; try again in {self.retry_after_s} s"
        )


class PasswordWorkBusy(CrmError):
    error_id = "busy"
    retry_after_s = 1


class CsrfRejected(Forbidden):
    error_id = "csrf_rejected"
