"""Incident errors.

CrmError
├── NotFound
│   └── IncidentNotFound
└── Conflict
    ├── IncidentResolved     a resolved incident takes no edits or links
    ├── IncidentHasAppeals   deleting one that still has appeals
    └── AppealLinkedElsewhere  the appeal belongs to another incident
"""

from __future__ import annotations

from crm_core.errors import Conflict, NotFound


class IncidentNotFound(NotFound):
    error_id = "incident_not_found"


class IncidentResolved(Conflict):
    error_id = "incident_resolved"


class IncidentHasAppeals(Conflict):
    error_id = "incident_has_appeals"


class AppealLinkedElsewhere(Conflict):
    error_id = "appeal_linked_elsewhere"
