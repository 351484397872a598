"""Authentication errors, added to the shared CRM error tree.

CrmError (crm_core.errors)
├── Unauthenticated      no valid session, token or password          -> HTTP 401
│   └── LoginThrottled   too many failed logins; retry later          -> HTTP 429
└── Forbidden
    └── CsrfRejected     a cookie-authenticated unsafe request lacks
                         the session's X-CSRF-Token header            -> HTTP 403
"""

from __future__ import annotations

from datetime import datetime

from crm_core.errors import CrmError, Forbidden


class Unauthenticated(CrmError):
    error_id = "unauthenticated"


class LoginThrottled(Unauthenticated):
    error_id = "login_throttled"

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            f"too many failed logins; try again after {until:%H:%M:%S} UTC"
        )


class CsrfRejected(Forbidden):
    error_id = "csrf_rejected"
