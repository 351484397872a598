"""The workflow core: an appeal's moves along its route (C5, C6). Pure: each operation
takes the appeal, its route, the actor and `now`, checks rights and the route, and
returns a `Step` (new state plus history entry) or raises a CrmError.

Rights: take needs appeal.take and membership of the appeal's queue; assign needs
appeal.assign and administration of the queue; pass on, close and reject need their
permission and the appeal being the actor's (or the actor administering the queue).
Holders of route.admin count as administrators of every queue.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from crm_core.appeals.errors import AppealHidden, AppealNotFound, StaleAppeal
from crm_core.appeals.model import (
    Appeal,
    AppealAction,
    AppealStatus,
    AttributeDef,
    AttributeKind,
    AttrValue,
    HistoryEntry,
    Queue,
    Route,
    Stage,
    Step,
    Transition,
)
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from crm_core.rules.errors import RuleError
from crm_core.rules.evaluator import EvalContext
from crm_core.rules.model import Schema, ValueType
from crm_core.rules.rule import Rule, compile_rule

S = AppealStatus
T = ValueType

CUSTOMER_SCHEMA: Schema = {
    "Category": T.STRING, "Group": T.STRING, "Kind": T.STRING, "IsLead": T.BOOLEAN,
    "Name": T.STRING, "Account": T.STRING, "Balance": T.NUMBER, "Sex": T.STRING,
    "BirthDate": T.DATE, "City": T.STRING, "District": T.STRING, "Building": T.STRING,
    "NetworkNode": T.STRING,
}  # fmt: skip
"""The customer fields a rule may name (`Customer.Category`)."""

_ATTRIBUTE_TYPES = {
    AttributeKind.DATE: T.DATE,
    AttributeKind.DECIMAL: T.NUMBER,
    AttributeKind.BOOLEAN: T.BOOLEAN,
    AttributeKind.STRING: T.STRING,
    AttributeKind.DICTIONARY: T.STRING,
}


def rule_schema(definitions: Sequence[AttributeDef] | None = None) -> Schema:
    """The fields rules may name. With `definitions`, `Appeal.Attr.X` is checked
    against them; without, any attribute is accepted."""
    attrs: Schema | ValueType = (
        T.ANY
        if definitions is None
        else {d.code: _ATTRIBUTE_TYPES[d.kind] for d in definitions}
    )
    appeal: Schema = {
        "Attr": attrs, "Topic": T.STRING, "Stage": T.STRING, "Status": T.STRING,
        "Queue": T.STRING, "Description": T.STRING, "Overdue": T.BOOLEAN,
        "CreatedAt": T.DATETIME, "Deadline": T.DATETIME, "IsChild": T.BOOLEAN,
    }  # fmt: skip
    return {"Customer": CUSTOMER_SCHEMA, "Appeal": appeal}


@lru_cache(maxsize=2048)
def compiled(source: str) -> Rule:
    """`source` compiled without a schema (definitions are checked when stored)."""
    return compile_rule(source)


def rule_context(
    appeal: Appeal, customer: Mapping[str, object], *, topic_code: str, now: datetime
) -> EvalContext:
    """What route and attribute rules see about `appeal` and its customer."""
    fields = {
        "Customer": customer,
        "Appeal": {
            "Attr": appeal.attributes, "Topic": topic_code, "Stage": appeal.stage,
            "Status": appeal.status.value, "Queue": appeal.queue,
            "Description": appeal.description, "Overdue": appeal.overdue,
            "CreatedAt": appeal.created_at, "Deadline": appeal.deadline_at,
            "IsChild": appeal.parent_id is not None,
        },
    }  # fmt: skip
    return EvalContext(fields=fields, today=now.date(), now=now)


def holds(source: str | None, context: EvalContext, *, what: str) -> bool:
    """Whether an optional rule holds; a rule failing at run time is a Conflict."""
    if source is None:
        return True
    try:
        return compiled(source).holds(context)
    except RuleError as error:
        raise Conflict(f"{what}: the rule {source!r} failed: {error}") from None


def choose_queue(stage: Stage, context: EvalContext) -> Queue:
    for queue in stage.queues:
        if holds(queue.when, context, what=f"queue {queue.name}"):
            return queue
    raise Conflict(f"stage {stage.code}: no queue's rule holds for this appeal")


def deadline(stage: Stage, now: datetime) -> datetime | None:
    return (
        None if stage.deadline_s is None else now + timedelta(seconds=stage.deadline_s)
    )


def start(draft: Appeal, route: Route, actor: Actor, context: EvalContext) -> Step:
    """A new appeal at the route's first stage; `draft` holds everything else."""
    first = route.stages[0]
    queue = choose_queue(first, context)
    now = context.now
    appeal = dataclasses.replace(
        draft, route_id=route.id, stage=first.code, queue=queue.name,
        status=S.WAITING, assignee_id=None, stage_path=(first.code,),
        created_at=now, updated_at=now, deadline_at=deadline(first, now), version=1,
    )  # fmt: skip
    entry = _entry(actor, AppealAction.CREATE, None, appeal, now, "")
    return Step(appeal=appeal, entry=entry)


def is_member(actor: Actor, queue: Queue) -> bool:
    return actor.user_id in queue.members or queue.name in actor.queues


def administers(actor: Actor, queue: Queue) -> bool:
    return (
        actor.user_id in queue.administrators
        or queue.name in actor.administered_queues
        or actor.can(Permission.ROUTE_ADMIN)
    )


def take(appeal: Appeal, route: Route, actor: Actor, now: datetime) -> Step:
    """The actor assigns the appeal to themself; only members of its queue may."""
    require(actor, Permission.APPEAL_TAKE)
    queue = _current_queue(appeal, route)
    if not is_member(actor, queue):
        raise Forbidden(f"{actor.login} is not a member of queue {queue.name}")
    _refuse_if_taken(appeal)
    changed = _moved(appeal, now, status=S.IN_PROGRESS, assignee_id=actor.user_id)
    return _step(actor, AppealAction.TAKE, appeal, changed, now, "")


def assign(
    appeal: Appeal,
    route: Route,
    actor: Actor,
    *,
    assignee_id: uuid.UUID,
    assignee_queues: frozenset[str],
    now: datetime,
    comment: str = "",
) -> Step:
    """A queue administrator gives the appeal to a member of its queue."""
    require(actor, Permission.APPEAL_ASSIGN)
    queue = _current_queue(appeal, route)
    if not administers(actor, queue):
        raise Forbidden(f"{actor.login} does not administer queue {queue.name}")
    if assignee_id not in queue.members and queue.name not in assignee_queues:
        raise ValidationFailed(
            [FieldError("assignee_id", f"is not a member of queue {queue.name}")]
        )
    refuse_closed(appeal)
    changed = _moved(appeal, now, status=S.IN_PROGRESS, assignee_id=assignee_id)
    return _step(actor, AppealAction.ASSIGN, appeal, changed, now, comment)


def pass_on(
    appeal: Appeal,
    route: Route,
    actor: Actor,
    context: EvalContext,
    *,
    transition: str | None = None,
    comment: str = "",
) -> Step:
    """To the next stage by the named transition, or the first whose guard holds."""
    require(actor, Permission.APPEAL_FORWARD)
    refuse_closed(appeal)
    _require_handler(appeal, route, actor)
    stage = route.stage(appeal.stage)
    chosen = _transition(stage, context, transition)
    target = route.stage(chosen.to_stage)
    queue = choose_queue(target, context)
    now = context.now
    changed = _moved(
        appeal, now, stage=target.code, queue=queue.name, status=S.WAITING,
        assignee_id=None, deadline_at=deadline(target, now), overdue=False,
        overdue_at=None, stage_path=(*appeal.stage_path, target.code),
    )  # fmt: skip
    return _step(actor, AppealAction.FORWARD, appeal, changed, now, comment)


def reject(
    appeal: Appeal, route: Route, actor: Actor, context: EvalContext, *, reason: str
) -> Step:
    """Back to the previous stage, with a reason (required)."""
    require(actor, Permission.APPEAL_REJECT)
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", "a reason is required")])
    refuse_closed(appeal)
    _require_handler(appeal, route, actor)
    if len(appeal.stage_path) < 2:
        raise Conflict(
            f"stage {appeal.stage} is the first: there is nowhere back to go"
        )
    target = route.stage(appeal.stage_path[-2])
    queue = choose_queue(target, context)
    now = context.now
    changed = _moved(
        appeal, now, stage=target.code, queue=queue.name, status=S.REJECTED_BACK,
        assignee_id=None, deadline_at=deadline(target, now), overdue=False,
        overdue_at=None, stage_path=appeal.stage_path[:-1],
    )  # fmt: skip
    return _step(actor, AppealAction.REJECT, appeal, changed, now, reason)


def close(
    appeal: Appeal,
    route: Route,
    actor: Actor,
    *,
    open_children: int,
    now: datetime,
    comment: str = "",
) -> Step:
    """Close where the stage allows it; a parent stays open while children are."""
    require(actor, Permission.APPEAL_CLOSE)
    refuse_closed(appeal)
    _require_handler(appeal, route, actor)
    if not route.stage(appeal.stage).closing_allowed:
        raise Conflict(f"closing is not allowed at stage {appeal.stage}")
    if open_children:
        raise Conflict(f"{open_children} child appeal(s) are still open")
    changed = _moved(
        appeal, now, status=S.CLOSED, closed_at=now, deadline_at=None,
        assignee_id=appeal.assignee_id or actor.user_id,
    )  # fmt: skip
    return _step(actor, AppealAction.CLOSE, appeal, changed, now, comment)


def reopen(
    appeal: Appeal, route: Route, actor: Actor, context: EvalContext, *, comment: str
) -> Step:
    """A closed appeal returns to its last stage, waiting in a freshly chosen queue."""
    require(actor, Permission.APPEAL_REOPEN)
    if appeal.status is not S.CLOSED:
        raise Conflict(f"only a closed appeal can be reopened (it is {appeal.status})")
    stage = route.stage(appeal.stage)
    queue = choose_queue(stage, context)
    now = context.now
    changed = _moved(
        appeal, now, queue=queue.name, status=S.WAITING, assignee_id=None,
        closed_at=None, deadline_at=deadline(stage, now), overdue=False,
        overdue_at=None, archived=False, archived_at=None,
    )  # fmt: skip
    return _step(actor, AppealAction.REOPEN, appeal, changed, now, comment)


def set_deadline(
    appeal: Appeal, actor: Actor, *, deadline_at: datetime, now: datetime, comment: str
) -> Step:
    require(actor, Permission.APPEAL_DEADLINE)
    refuse_closed(appeal)
    changed = _moved(
        appeal, now, deadline_at=deadline_at, overdue=False, overdue_at=None
    )
    text = f"deadline {deadline_at.isoformat()}" + (f": {comment}" if comment else "")
    return _step(actor, AppealAction.SET_DEADLINE, appeal, changed, now, text)


def mark_overdue(appeal: Appeal, actor: Actor, now: datetime) -> Step | None:
    """The appeal marked overdue, once; None if it is not (or already marked)."""
    due = appeal.deadline_at
    if appeal.overdue or appeal.status is S.CLOSED or due is None or due > now:
        return None
    changed = _moved(appeal, now, overdue=True, overdue_at=now)
    return _step(actor, AppealAction.OVERDUE, appeal, changed, now, "")


def archive(appeal: Appeal, actor: Actor, now: datetime) -> Step:
    if appeal.status is not S.CLOSED or appeal.archived:
        raise Conflict("only a closed, unarchived appeal can be archived")
    changed = _moved(appeal, now, archived=True, archived_at=now)
    return _step(actor, AppealAction.ARCHIVE, appeal, changed, now, "")


def _transition(stage: Stage, context: EvalContext, name: str | None) -> Transition:
    if name is not None:
        named = next((t for t in stage.transitions if t.name == name), None)
        if named is None:
            known = ", ".join(t.name for t in stage.transitions) or "none"
            raise Conflict(
                f"stage {stage.code} has no transition {name!r} (it has: {known})"
            )
        if not holds(named.guard, context, what=f"transition {name}"):
            raise Conflict(
                f"transition {name!r} is not allowed: {named.guard} is false"
            )
        return named
    for candidate in stage.transitions:
        if holds(candidate.guard, context, what=f"transition {candidate.name}"):
            return candidate
    raise Conflict(f"no transition from stage {stage.code} is allowed for this appeal")


def edited(
    appeal: Appeal,
    actor: Actor,
    now: datetime,
    description: str,
    attributes: dict[str, AttrValue],
) -> Step:
    """The appeal with a new description and attribute values (already validated)."""
    changed = _moved(appeal, now, description=description, attributes=attributes)
    changes = [
        k for k in sorted(attributes) if attributes[k] != appeal.attributes.get(k)
    ]
    if description != appeal.description:
        changes.insert(0, "description")
    comment = "changed " + ", ".join(changes) if changes else "no change"
    return _step(actor, AppealAction.EDIT, appeal, changed, now, comment)


def visible(actor: Actor, appeal_id: uuid.UUID, appeal: Appeal | None) -> Appeal:
    """`appeal` if `actor` may see it; AppealNotFound when there is none,
    AppealHidden (also a Forbidden) when its customer group is not the actor's."""
    if appeal is None:
        raise AppealNotFound(f"no appeal {appeal_id}")
    if not actor.sees_group(appeal.customer_group):
        raise AppealHidden(f"appeal {appeal_id} is outside your customer groups")
    return appeal


def stale(appeal: Appeal) -> StaleAppeal:
    return StaleAppeal(
        f"appeal {appeal.id} is at version {appeal.version}; reload it and try again"
    )


def _current_queue(appeal: Appeal, route: Route) -> Queue:
    queue = route.stage(appeal.stage).queue(appeal.queue)
    if queue is None:
        raise Conflict(f"queue {appeal.queue} is not on stage {appeal.stage}")
    return queue


def _require_handler(appeal: Appeal, route: Route, actor: Actor) -> None:
    if appeal.assignee_id == actor.user_id:
        return
    if not administers(actor, _current_queue(appeal, route)):
        raise Forbidden(
            f"{actor.login} neither handles appeal {appeal.id} "
            f"nor administers queue {appeal.queue}"
        )


def refuse_closed(appeal: Appeal) -> None:
    if appeal.status is S.CLOSED:
        raise Conflict(f"appeal {appeal.id} is closed")


def _refuse_if_taken(appeal: Appeal) -> None:
    refuse_closed(appeal)
    if appeal.assignee_id is not None:
        raise Conflict(f"appeal {appeal.id} is already taken")


def _moved(appeal: Appeal, now: datetime, **changes: object) -> Appeal:
    return dataclasses.replace(appeal, updated_at=now, **changes)  # type: ignore[arg-type]  # field names checked by the tests


def _step(
    actor: Actor,
    action: AppealAction,
    before: Appeal,
    after: Appeal,
    now: datetime,
    comment: str,
) -> Step:
    return Step(appeal=after, entry=_entry(actor, action, before, after, now, comment))


def _entry(
    actor: Actor,
    action: AppealAction,
    before: Appeal | None,
    after: Appeal,
    now: datetime,
    comment: str,
) -> HistoryEntry:
    return HistoryEntry(
        at=now,
        actor_id=actor.user_id,
        actor_login=actor.login,
        action=action,
        from_stage=before.stage if before else None,
        from_queue=before.queue if before else None,
        from_status=before.status if before else None,
        from_assignee_id=before.assignee_id if before else None,
        to_stage=after.stage,
        to_queue=after.queue,
        to_status=after.status,
        to_assignee_id=after.assignee_id,
        comment=comment,
    )


def check_route(stages: Sequence[Stage], schema: Schema) -> list[FieldError]:
    """Problems with a route before it is published, one per bad field."""
    errors: list[FieldError] = []
    if not stages:
        return [FieldError("stages", "a route needs at least one stage")]
    codes = [st.code for st in stages]
    for i, st in enumerate(stages):
        where = f"stages[{i}]"
        if codes.count(st.code) > 1:
            errors.append(FieldError(f"{where}.code", f"{st.code!r} is used twice"))
        if not st.queues:
            errors.append(FieldError(f"{where}.queues", "a stage needs a queue"))
        if st.deadline_s is not None and st.deadline_s <= 0:
            errors.append(FieldError(f"{where}.deadline_s", "must be positive"))
        for j, q in enumerate(st.queues):
            errors += _rule_problems(f"{where}.queues[{j}].when", q.when, schema)
        for j, t in enumerate(st.transitions):
            if t.to_stage not in codes:
                message = f"leads to unknown stage {t.to_stage!r}"
                errors.append(FieldError(f"{where}.transitions[{j}].to_stage", message))
            errors += _rule_problems(f"{where}.transitions[{j}].guard", t.guard, schema)
    return errors


def _rule_problems(field: str, source: str | None, schema: Schema) -> list[FieldError]:
    if source is None:
        return []
    try:
        compile_rule(source, schema, expect=ValueType.BOOLEAN)
    except RuleError as error:
        return [FieldError(field, f"{error.position}: {error.reason}")]
    return []
