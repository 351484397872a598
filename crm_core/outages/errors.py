"""Outage errors, specialising the shared CRM tree (crm_core/errors.py).

CrmError
├── NotFound
│   └── OutageNotFound     no such outage
└── Conflict
    └── OutageClosed       a closed outage cannot be edited or closed again
"""

from __future__ import annotations

from crm_core.errors import Conflict, NotFound


class OutageNotFound(NotFound):
    error_id = "outage_not_found"


class OutageClosed(Conflict):
    error_id = "outage_closed"
