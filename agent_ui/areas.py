"""The areas of the pages (agent desktop, wallboard, back office...): where each
lives, who may open it, its menu label, and where each role lands. Pure data and
choices; `agent_ui.app` mounts each area's routes.

Adding an area: an entry in `AREAS` (and, for a role that starts there, in
`START`), its folder `agent_ui/<key>/` with `routes.py`, `views.py` and
`templates/`, and its routes in `agent_ui.app.AREA_ROUTES`. An area without
routes there shows its `placeholder` text on a start page until it is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent_ui.labels import N_
from crm_core.auth.model import Actor, Permission, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    key: str
    """Its folder under agent_ui/ and its templates' prefix."""
    path: str
    """Its start page; its other pages live under it."""
    permission: Permission
    """What an actor needs to see it in the menu and open any of its pages."""
    label: str
    """The menu's words (a catalogue message id)."""
    placeholder: str | None = None
    """What the start page says while the area has no pages of its own."""


AGENT = Area(
    key="agent", path="/agent", permission=Permission.AGENT_WORK,
    label=N_("Agent desktop"),
)  # fmt: skip
WALLBOARD = Area(
    key="supervisor", path="/wallboard", permission=Permission.QUEUE_SUPERVISE,
    label=N_("Wallboard"),
)  # fmt: skip
BACK_OFFICE = Area(
    key="backoffice", path="/backoffice", permission=Permission.APPEAL_ASSIGN,
    label=N_("Back office"),
)  # fmt: skip
REPORTS = Area(
    key="reports", path="/reports", permission=Permission.REPORT_READ,
    label=N_("Reports"),
)  # fmt: skip
KNOWLEDGE_BASE = Area(
    key="kb", path="/kb", permission=Permission.KB_READ,
    label=N_("Knowledge base"),
)  # fmt: skip
ADMIN = Area(
    key="admin", path="/admin", permission=Permission.USER_ADMIN,
    label=N_("Administration"),
)  # fmt: skip

AREAS: tuple[Area, ...] = (
    AGENT, WALLBOARD, BACK_OFFICE, REPORTS, KNOWLEDGE_BASE, ADMIN,
)  # fmt: skip
"""In menu order."""

START: Mapping[Role, Area] = {
    Role.AGENT: AGENT,
    Role.SUPERVISOR: WALLBOARD,
    Role.BACK_OFFICE: BACK_OFFICE,
    Role.MARKETING: REPORTS,
    Role.ADMINISTRATOR: ADMIN,
}
"""Where each role lands after signing in."""


def menu(actor: Actor) -> Sequence[Area]:
    """The areas `actor` may open, in menu order."""
    return [area for area in AREAS if actor.can(area.permission)]


def start(actor: Actor) -> Area | None:
    """Where `actor` lands: their role's area, else the first they may open
    (permissions granted or revoked may differ from the role's)."""
    own = START.get(actor.role)
    if own is not None and actor.can(own.permission):
        return own
    allowed = menu(actor)
    return allowed[0] if allowed else None


def area_of(path: str) -> Area | None:
    """The area a page path belongs to."""
    for area in AREAS:
        if path == area.path or path.startswith(area.path + "/"):
            return area
    return None
