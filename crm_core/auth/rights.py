"""Permission checks shared by every CRM service."""

from __future__ import annotations

from crm_core.auth.model import Actor, Permission
from crm_core.errors import Forbidden


def require(actor: Actor, permission: Permission) -> None:
    """Raise Forbidden unless `actor` holds `permission`."""
    if not actor.can(permission):
        raise Forbidden(f"{actor.login} ({actor.role}) lacks the right {permission}")
