"""Errors of the customer services.

CrmError (crm_core.errors)
├── NotFound
│   └── CustomerNotFound    no such customer, or not visible to the actor
│       └── CustomerHidden  it exists outside the actor's customer groups
│                           (also a Forbidden: the pages and the API say 403)
├── ValidationFailed        bad input, one FieldError per field (from inputs.parse)
└── Conflict
    ├── DuplicateAccount    the account number belongs to another customer
    └── NotALead            only a lead can be converted into a customer
"""

from __future__ import annotations

from crm_core.errors import Conflict, Forbidden, NotFound


class CustomerNotFound(NotFound):
    error_id = "customer_not_found"


class CustomerHidden(CustomerNotFound, Forbidden):
    """Whoever treats it as not found still may; a person is told they may not."""

    error_id = "customer_forbidden"


class DuplicateAccount(Conflict):
    error_id = "duplicate_account"


class NotALead(Conflict):
    error_id = "not_a_lead"
