"""Notice errors.

CrmError
└── NotFound
    └── CustomerNotFound    the customer whose notices were asked for
"""

from __future__ import annotations

from crm_core.errors import NotFound


class CustomerNotFound(NotFound):
    pass
