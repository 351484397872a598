"""Roles, permissions and the `Actor`: who is acting, with which rights. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    BACK_OFFICE = "back_office"
    SUPERVISOR = "supervisor"
    MARKETING = "marketing"
    ADMINISTRATOR = "administrator"


class Permission(StrEnum):
    CUSTOMER_READ = "customer.read"
    CUSTOMER_WRITE = "customer.write"
    CUSTOMER_IMPORT = "customer.import"
    CONTACT_READ = "contact.read"
    CONTACT_WRITE = "contact.write"
    APPEAL_READ = "appeal.read"
    APPEAL_CREATE = "appeal.create"
    APPEAL_EDIT = "appeal.edit"
    APPEAL_TAKE = "appeal.take"
    APPEAL_ASSIGN = "appeal.assign"
    APPEAL_FORWARD = "appeal.forward"
    APPEAL_REJECT = "appeal.reject"
    APPEAL_CLOSE = "appeal.close"
    APPEAL_REOPEN = "appeal.reopen"
    APPEAL_BULK = "appeal.bulk"
    APPEAL_DEADLINE = "appeal.deadline"
    TOPIC_ADMIN = "topic.admin"
    ROUTE_ADMIN = "route.admin"
    REPORT_READ = "report.read"
    REPORT_EXPORT = "report.export"
    USER_ADMIN = "user.admin"
    WEBHOOK_ADMIN = "webhook.admin"
    CALL_READ = "call.read"
    RECORDING_LISTEN_OWN = "recording.listen_own"
    RECORDING_LISTEN_ALL = "recording.listen_all"
    QUEUE_SUPERVISE = "queue.supervise"
    CALL_MONITOR = "call.monitor"
    """Listen to, whisper to or barge in on an agent's call."""
    AGENT_WORK = "agent.work"
    CAMPAIGN_MANAGE = "campaign.manage"
    INCIDENT_MANAGE = "incident.manage"
    OUTAGE_MANAGE = "outage.manage"
    FLOW_ADMIN = "flow.admin"
    """Read and publish IVR flows."""
    KB_READ = "kb.read"
    """Read and search the published knowledge-base articles."""
    KB_EDIT = "kb.edit"
    """Write, publish and delete knowledge-base articles; see drafts."""


P = Permission

_AGENT = frozenset(
    {
        P.CUSTOMER_READ, P.CUSTOMER_WRITE, P.CONTACT_READ, P.CONTACT_WRITE,
        P.APPEAL_READ, P.APPEAL_CREATE, P.APPEAL_EDIT, P.APPEAL_TAKE, P.APPEAL_FORWARD,
        P.APPEAL_CLOSE, P.CALL_READ, P.RECORDING_LISTEN_OWN, P.AGENT_WORK,
        P.KB_READ,
    }
)  # fmt: skip
_BACK_OFFICE = _AGENT - {P.AGENT_WORK} | {
    P.APPEAL_ASSIGN, P.APPEAL_REJECT, P.APPEAL_REOPEN, P.APPEAL_BULK,
    P.APPEAL_DEADLINE, P.REPORT_READ, P.REPORT_EXPORT, P.RECORDING_LISTEN_ALL,
}  # fmt: skip
_SUPERVISOR = _BACK_OFFICE | {
    P.QUEUE_SUPERVISE, P.CALL_MONITOR, P.AGENT_WORK, P.CUSTOMER_IMPORT,
    P.INCIDENT_MANAGE, P.OUTAGE_MANAGE, P.FLOW_ADMIN, P.KB_EDIT,
}  # fmt: skip
_MARKETING = frozenset(
    {
        P.CUSTOMER_READ, P.CONTACT_READ, P.APPEAL_READ, P.REPORT_READ,
        P.REPORT_EXPORT, P.CAMPAIGN_MANAGE, P.CUSTOMER_IMPORT, P.KB_READ,
    }
)  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: _AGENT,
    Role.BACK_OFFICE: frozenset(_BACK_OFFICE),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.MARKETING: _MARKETING,
    Role.ADMINISTRATOR: frozenset(Permission),
}
"""Each role's default permissions; a user may be granted more or fewer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who is acting: a signed-in user or an external system with an API token."""

    user_id: uuid.UUID
    login: str
    role: Role
    permissions: frozenset[Permission]
    customer_groups: frozenset[str] | None = None
    """Customer categories/groups this actor may see; None means all."""
    queues: frozenset[str] = field(default_factory=frozenset)
    """Workflow queues the actor is a member of."""
    administered_queues: frozenset[str] = field(default_factory=frozenset)
    """Workflow queues the actor administers (may assign appeals in them)."""

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_group(self, group: str | None) -> bool:
        return self.customer_groups is None or (group or "") in self.customer_groups


def system_actor() -> Actor:
    """The service itself (call handlers, SLA monitor, imports): every permission."""
    return Actor(
        user_id=uuid.UUID(int=0),
        login="system",
        role=Role.ADMINISTRATOR,
        permissions=frozenset(Permission),
    )
