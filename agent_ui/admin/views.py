"""The administration pages' data: users, queues, agents' seats and IVR flows as
the templates show them (words for codes, one page of a list at a time), and the
reasons a change was refused, in words. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from acd.configuration import Configuration, QueueInput, QueueInUse, SeatInput
from acd.model import ExitKind, OverflowKind, Strategy
from agent_ui.admin.forms import PENALTY_PREFIX, QUEUE_PREFIX
from agent_ui.labels import N_, QUEUES, field_problem, label
from agent_ui.language import LANGUAGE_NAMES, LANGUAGES
from crm_core.auth.accounts import ApiToken, AuditEntry, User, effective_permissions
from crm_core.auth.model import ROLE_PERMISSIONS, Permission, Role
from crm_core.errors import FieldError
from ivr.errors import FlowInvalid
from ivr.model import Flow

PAGE_SIZE = 25
"""Rows on one page of a list."""

T = TypeVar("T")
Translate = Callable[[str], str]

ROLES: Mapping[str, str] = {
    Role.AGENT: N_("Agent"),
    Role.BACK_OFFICE: N_("Back office"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.MARKETING: N_("Marketing"),
    Role.ADMINISTRATOR: N_("Administrator"),
}

P = Permission
PERMISSIONS: Mapping[Permission, str] = {
    P.AGENT_WORK: N_("Take calls"),
    P.CUSTOMER_READ: N_("See customers"),
    P.CUSTOMER_WRITE: N_("Edit customers"),
    P.CUSTOMER_IMPORT: N_("Import customers"),
    P.CONTACT_READ: N_("See contacts"),
    P.CONTACT_WRITE: N_("Register contacts"),
    P.CALL_READ: N_("See calls"),
    P.APPEAL_READ: N_("See appeals"),
    P.APPEAL_CREATE: N_("Register appeals"),
    P.APPEAL_EDIT: N_("Edit appeals"),
    P.APPEAL_TAKE: N_("Take appeals"),
    P.APPEAL_ASSIGN: N_("Assign appeals"),
    P.APPEAL_FORWARD: N_("Pass appeals on"),
    P.APPEAL_REJECT: N_("Return appeals"),
    P.APPEAL_CLOSE: N_("Close appeals"),
    P.APPEAL_REOPEN: N_("Reopen appeals"),
    P.APPEAL_BULK: N_("Act on many appeals at once"),
    P.APPEAL_DEADLINE: N_("Change appeal deadlines"),
    P.RECORDING_LISTEN_OWN: N_("Listen to recordings of own calls"),
    P.RECORDING_LISTEN_ALL: N_("Listen to all recordings"),
    P.QUEUE_SUPERVISE: N_("Supervise queues and agents"),
    P.REPORT_READ: N_("See reports"),
    P.REPORT_EXPORT: N_("Export reports"),
    P.CAMPAIGN_MANAGE: N_("Manage campaigns"),
    P.INCIDENT_MANAGE: N_("Manage mass incidents"),
    P.OUTAGE_MANAGE: N_("Manage outage notices"),
    P.TOPIC_ADMIN: N_("Edit appeal topics"),
    P.ROUTE_ADMIN: N_("Edit workflow routes"),
    P.FLOW_ADMIN: N_("Publish IVR flows"),
    P.WEBHOOK_ADMIN: N_("Manage webhooks"),
    P.USER_ADMIN: N_("Administer users, queues and seats"),
}
"""Each permission in words, in the order the access form lists them."""

STRATEGIES: Mapping[str, str] = {
    Strategy.LONGEST_IDLE: N_("The agent idle longest"),
    Strategy.FEWEST_CALLS: N_("The agent with the fewest calls"),
    Strategy.ROUND_ROBIN: N_("Each agent in turn"),
    Strategy.BEST_SKILL: N_("The best skilled agent"),
}

OVERFLOWS: Mapping[str, str] = {
    "": N_("Nothing: the call keeps waiting"),
    OverflowKind.TO_QUEUE: N_("Move the call to another queue"),
    OverflowKind.RELAX_SKILLS: N_("Let any member take it, whatever their skills"),
    OverflowKind.OFFER_VOICEMAIL: N_("Offer the caller a voice message"),
    OverflowKind.OFFER_CALLBACK: N_("Offer the caller a callback"),
}

LANGUAGE_WORDS: Mapping[str, str] = {
    "en": N_("English"),
    "ru": N_("Russian"),
    "ko": N_("Korean"),
}
"""The languages a flow speaks."""

EXITS: Mapping[str, str] = {
    ExitKind.VOICEMAIL: N_("Leave a voice message"),
    ExitKind.CALLBACK: N_("Be called back"),
    ExitKind.QUEUE: N_("Move to another queue"),
}
"""Where a caller goes after the longest wait."""

ACTIONS: Mapping[str, str] = {
    "auth.login": N_("Signed in"),
    "user.create": N_("User created"),
    "user.edit": N_("User changed"),
    "token.issue": N_("API token issued"),
    "token.revoke": N_("API token revoked"),
    "webhook.subscribe": N_("Webhook subscribed"),
    "webhook.active": N_("Webhook switched on or off"),
    "recording.listen": N_("Recording listened to"),
    "call.listen": N_("Listened to a call"),
    "call.whisper": N_("Whispered on a call"),
    "call.barge": N_("Barged in on a call"),
    "acd.queue.save": N_("Queue saved"),
    "acd.queue.delete": N_("Queue deleted"),
    "acd.seat.save": N_("Agent's seat saved"),
    "acd.seat.delete": N_("Agent's seat deleted"),
}
"""The audit log's actions in words."""

PROBLEMS: tuple[tuple[str, str], ...] = (
    ("is taken", N_("This is taken already: choose another.")),
    ("no such queue", N_("There is no such queue.")),
    ("no such PBX", N_("There is no such telephone exchange.")),
    ("cannot overflow to itself", N_("A queue cannot overflow to itself.")),
    ("names the queue to overflow to", N_("Choose the queue to overflow to.")),
    ("names what to do after the wait", N_("Choose what happens after the wait.")),
    ("names the wait before the overflow", N_("Enter the wait before the overflow.")),
    ("is another seat's phone", N_("Another seat has this phone on that exchange.")),
    ("should match pattern", N_("Use letters, digits, dots, dashes and _ only.")),
    ("greater than", N_("Enter a larger number.")),
    ("less than", N_("Enter a smaller number.")),
    ("valid number", N_("Enter a number.")),
    ("valid integer", N_("Enter a whole number.")),
    ("a level", N_("Write each skill as name:level, the level from 1 to 10.")),
    ("must be at least", N_("A password needs at least 10 characters.")),
    ("must differ from the login", N_("The password must differ from the login.")),
    ("characters without spaces", N_("Use 1 to 64 characters, no spaces.")),
)
"""What the ACD's and the users' validators say, in words (first match wins;
otherwise the pages' common table, `labels.field_problem`)."""

DONE: Mapping[str, str] = {
    "saved": N_("Saved."),
    "created": N_("Created."),
    "deleted": N_("Deleted."),
    "deactivated": N_("The user is deactivated: their sessions have ended."),
    "activated": N_("The user may sign in again."),
    "password": N_("The password is changed: the user's sessions have ended."),
    "revoked": N_("The token is revoked: it no longer opens the API."),
    "published": N_("Published: new calls follow this version."),
    "unchanged": N_("Nothing changed: this is the version in service."),
}


def problem(message: str) -> str:
    """The message id for a validator's `message` about one field."""
    for fragment, words in PROBLEMS:
        if fragment in message:
            return words
    return field_problem(message)


def field_errors(errors: Iterable[FieldError]) -> dict[str, str]:
    """Form field -> the message id of its first problem."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field or "form", problem(error.message))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Said:
    """What a page says beside its form (message ids, but for data): each
    field's problem, the reasons a change was refused, how the last change
    went, a note, a flow's problems, a token's secret shown once."""

    errors: Mapping[str, str] = field(default_factory=dict)
    refused: Sequence[tuple[str, Mapping[str, Any]]] = ()
    done: str | None = None
    error: str | None = None
    note: tuple[str, int] | None = None
    problems: Sequence[Mapping[str, str]] = ()
    secret: str | None = None

    def context(self) -> dict[str, Any]:
        return {
            "errors": self.errors, "refused": self.refused, "done": self.done,
            "error": self.error, "note": self.note, "problems": self.problems,
            "secret": self.secret,
        }  # fmt: skip

    @property
    def status(self) -> int:
        return 422 if self.errors or self.problems else 200


NOTHING = Said()


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    rows: Sequence[Any]
    next_after: str | None
    """The key to ask the next page after (None: this is the last)."""


def page_of(items: Sequence[T], key: Callable[[T], str], *, after: str | None) -> Page:
    """The `PAGE_SIZE` items after the key `after`, of `items` sorted by key."""
    rest = [i for i in items if after is None or key(i) > after]
    rows = rest[:PAGE_SIZE]
    more = len(rest) > PAGE_SIZE
    return Page(rows=rows, next_after=key(rows[-1]) if more and rows else None)


def queue_name(code: str) -> str:
    """A queue's message id (the shipped queues) or its code made readable."""
    return label(QUEUES, code)


def user_rows(users: Sequence[User]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(u.id),
            "login": u.login,
            "name": u.display_name,
            "role": ROLES.get(u.role, u.role),
            "language": LANGUAGE_NAMES.get(u.language or "", ""),
            "active": u.active,
        }
        for u in users
    ]


def access_form(user: User) -> dict[str, Any]:
    """The access form: each permission (held or not, the role's by default),
    the customer groups seen, the workflow queues."""
    held = effective_permissions(user.role, user.granted, user.revoked)
    defaults = ROLE_PERMISSIONS[user.role]
    return {
        "permissions": [
            {
                "code": code.value,
                "words": words,
                "held": code in held,
                "changed": (code in held) != (code in defaults),
            }
            for code, words in PERMISSIONS.items()
        ],
        "all_groups": user.customer_groups is None,
        "customer_groups": ", ".join(sorted(user.customer_groups or ())),
        "queues": ", ".join(sorted(user.queues)),
        "administered_queues": ", ".join(sorted(user.administered_queues)),
    }


def user_form(user: User | None) -> dict[str, str]:
    if user is None:
        return {"role": Role.AGENT.value, "language": LANGUAGES[0]}
    return {
        "login": user.login,
        "display_name": user.display_name,
        "role": user.role.value,
        "language": user.language or "",
    }


def choices() -> dict[str, list[tuple[str, str]]]:
    """The options of the forms' lists: (code, message id or name)."""
    return {
        "roles": list(ROLES.items()),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "strategies": list(STRATEGIES.items()),
        "overflows": list(OVERFLOWS.items()),
        "exits": list(EXITS.items()),
    }


def queue_rows(
    config: Configuration, waiting: Callable[[str], int]
) -> list[dict[str, Any]]:
    return [
        {
            "code": q.queue_id,
            "name": queue_name(q.queue_id),
            "strategy": STRATEGIES[q.strategy],
            "ring_timeout_s": _number(q.ring_timeout_s),
            "wrap_up_s": _number(q.wrap_up_s),
            "service_level_s": _number(q.service_level_s),
            "max_wait_s": _number(q.max_wait_s),
            "members": sum(1 for s in config.seats if q.queue_id in s.queues),
            "waiting": waiting(q.queue_id),
        }
        for q in config.queues
    ]


def queue_form(queue: QueueInput | None) -> dict[str, str]:
    if queue is None:
        queue = QueueInput(queue_id="new")
        values = _strings(queue.model_dump())
        values["queue_id"] = ""
        return values
    return _strings(queue.model_dump())


def seat_rows(
    seats: Sequence[SeatInput], logged_in: Callable[[str], bool]
) -> list[dict[str, Any]]:
    return [
        {
            "login": s.login,
            "endpoint": s.endpoint,
            "pbx": s.pbx or "",
            "skills": skills_text(s.skills),
            "languages": " ".join(s.languages),
            "queues": [(queue_name(q), p) for q, p in s.queues.items()],
            "logged_in": logged_in(s.login),
        }
        for s in seats
    ]


def seat_form(seat: SeatInput | None, config: Configuration) -> dict[str, Any]:
    """The seat's fields as the form posts them, and one row per queue."""
    values: dict[str, str] = {}
    member: Mapping[str, int] = {}
    if seat is not None:
        values = {
            "login": seat.login,
            "endpoint": seat.endpoint,
            "pbx": seat.pbx or "",
            "skills": skills_text(seat.skills),
            "languages": " ".join(seat.languages),
        }
        member = seat.queues
    return {
        "values": values,
        "queues": [
            {
                "code": q.queue_id,
                "name": queue_name(q.queue_id),
                "member": q.queue_id in member,
                "penalty": member.get(q.queue_id, 0),
            }
            for q in config.queues
        ],
    }


def posted_seat_form(
    posted: Mapping[str, str], config: Configuration
) -> dict[str, Any]:
    """The seat form as posted (shown again with its problems)."""
    names = ("login", "endpoint", "pbx", "skills", "languages")
    return {
        "values": {name: posted.get(name, "") for name in names},
        "queues": [
            {
                "code": q.queue_id,
                "name": queue_name(q.queue_id),
                "member": bool(posted.get(QUEUE_PREFIX + q.queue_id)),
                "penalty": posted.get(PENALTY_PREFIX + q.queue_id, "0"),
            }
            for q in config.queues
        ],
    }


def token_rows(tokens: Sequence[ApiToken], *, now: datetime) -> list[dict[str, Any]]:
    """A user's API tokens, newest first: name, dates, and whether it still works."""
    rows = []
    for token in sorted(tokens, key=lambda t: t.created_at, reverse=True):
        if token.revoked_at is not None:
            state = N_("Revoked")
        elif token.expires_at is not None and token.expires_at <= now:
            state = N_("Expired")
        else:
            state = N_("In use")
        rows.append(
            {
                "id": str(token.id),
                "name": token.name,
                "created": _when(token.created_at),
                "last_used": _when(token.last_used_at),
                "state": state,
                "active": state == N_("In use"),
            }
        )
    return rows


def audit_rows(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """Audit entries as the page lists them: when, who, what, to what, details."""
    return [
        {
            "at": _when(e.at),
            "who": e.actor_login,
            "action": label(ACTIONS, e.action),
            "object": " ".join(filter(None, (e.object_type, e.object_id))),
            "details": "; ".join(f"{k}: {v}" for k, v in sorted(e.details.items())),
        }
        for e in entries
    ]


def audit_cursor(entry: AuditEntry) -> str:
    """The key to ask for the entries after `entry`."""
    return f"{entry.at.isoformat()}|{entry.id}"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def skills_text(skills: Mapping[str, int]) -> str:
    return ", ".join(f"{name}:{level}" for name, level in skills.items())


def in_use_reasons(in_use: QueueInUse) -> list[tuple[str, dict[str, Any]]]:
    """Why a queue cannot be deleted: (message id, its values) per reason."""
    reasons: list[tuple[str, dict[str, Any]]] = []
    if in_use.waiting:
        reasons.append(
            (N_("%(count)s calls are in it now."), {"count": in_use.waiting})
        )
    if in_use.members:
        reasons.append(
            (
                N_("These agents' seats are in it: %(names)s."),
                {"names": ", ".join(in_use.members)},
            )
        )
    if in_use.overflow_from:
        names = ", ".join(in_use.overflow_from)
        reasons.append(
            (N_("These queues overflow to it: %(names)s."), {"names": names})
        )
    if in_use.flows:
        names = ", ".join(in_use.flows)
        reasons.append(
            (N_("These IVR flows send calls to it: %(names)s."), {"names": names})
        )
    if in_use.default:
        reasons.append(
            (N_("Calls asking for a queue that does not exist go to it."), {})
        )
    return reasons


def flow_rows(flows: Iterable[Flow]) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "version": f.version,
            "language": label(LANGUAGE_WORDS, f.language),
            "numbers": ", ".join(f.numbers),
            "steps": len(f.nodes),
        }
        for f in flows
    ]


def flow_problems(refused: FlowInvalid) -> list[dict[str, str]]:
    """Each problem of a refused document: where (the step and field) and what."""
    return [
        {"node": p.node, "field": p.field, "message": p.message}
        for p in refused.problems
    ]


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _strings(values: Mapping[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            out[name] = ""
        elif isinstance(value, float):
            out[name] = _number(value)
        else:
            out[name] = str(value)
    return out
