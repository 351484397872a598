"""Recording errors.

CrmError (crm_core.errors)
└── RecordingError
    ├── RecordingNotFound      no such recording, or not this actor's  -> HTTP 404
    ├── RecordingUnavailable   the file is missing, damaged or deleted -> HTTP 410
    └── NotRecording           no recording runs for that call         -> HTTP 409
"""

from __future__ import annotations

from crm_core.errors import Conflict, CrmError, NotFound


class RecordingError(CrmError):
    error_id = "recording_error"


class RecordingNotFound(RecordingError, NotFound):
    error_id = "recording_not_found"


class RecordingUnavailable(RecordingError):
    error_id = "recording_unavailable"

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


class NotRecording(RecordingError, Conflict):
    error_id = "not_recording"
