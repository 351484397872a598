"""Appeal errors, specialising the shared CRM tree (crm_core/errors.py).

CrmError
├── NotFound
│   ├── AppealNotFound        no such appeal, or the actor may not see it
│   │   └── AppealHidden      it exists outside the actor's customer groups
│   │                         (also a Forbidden: the pages and the API say 403)
│   ├── TopicNotFound
│   └── RouteNotFound         the topic has no published route
├── ValidationFailed
│   └── AttachmentTooLarge    a file over the configured limit
└── Conflict
    └── StaleAppeal           someone changed the appeal since it was read
"""

from __future__ import annotations

from crm_core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed


class AppealNotFound(NotFound):
    error_id = "appeal_not_found"


class AppealHidden(AppealNotFound, Forbidden):
    """Whoever treats it as not found still may; a person is told they may not."""

    error_id = "appeal_forbidden"


class TopicNotFound(NotFound):
    error_id = "topic_not_found"


class RouteNotFound(NotFound):
    error_id = "route_not_found"


class StaleAppeal(Conflict):
    error_id = "appeal_changed"


class AttachmentTooLarge(ValidationFailed):
    error_id = "attachment_too_large"

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(
            [FieldError("file", f"is larger than the limit of {limit_bytes} bytes")]
        )
