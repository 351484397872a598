"""What an actor may do with an appeal now (C5), as the workflow itself decides:
each step is tried on the pure workflow and offered when it would be accepted, so
no right or route rule is written twice; and the work queues an actor belongs to.
Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crm_core.appeals import workflow as wf
from crm_core.appeals.model import Appeal, AppealStatus, Queue, Route, Transition
from crm_core.auth.model import Actor, Permission
from crm_core.errors import CrmError
from crm_core.rules.evaluator import EvalContext

Members = dict[str, frozenset[uuid.UUID]]
"""Queue names with the ids of their members."""
TRIAL_REASON = "-"
"""A reason given when trying whether a rejection would be accepted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowed:
    """The steps offered to the actor on one appeal."""

    take: bool = False
    assign: bool = False
    moves: tuple[Transition, ...] = ()
    """The transitions a pass-on may take now (guards that hold)."""
    reject: bool = False
    close: bool = False
    reopen: bool = False
    deadline: bool = False
    edit: bool = False
    child: bool = False

    @property
    def any(self) -> bool:
        return any(
            (self.take, self.assign, self.moves, self.reject, self.close,
             self.reopen, self.deadline, self.edit, self.child)
        )  # fmt: skip


def allowed(
    appeal: Appeal,
    route: Route,
    actor: Actor,
    context: EvalContext,
    *,
    open_children: int,
) -> Allowed:
    """Every step `actor` may take on `appeal` (on `route`, rules seeing
    `context`) that the workflow would accept as things stand."""
    now = context.now
    open_ = appeal.status is not AppealStatus.CLOSED
    return Allowed(
        take=_accepted(lambda: wf.take(appeal, route, actor, now)),
        assign=open_ and may_assign(appeal, route, actor),
        moves=_moves(appeal, route, actor, context),
        reject=_accepted(
            lambda: wf.reject(appeal, route, actor, context, reason=TRIAL_REASON)
        ),
        close=_accepted(
            lambda: wf.close(appeal, route, actor, open_children=open_children, now=now)
        ),
        reopen=_accepted(lambda: wf.reopen(appeal, route, actor, context, comment="")),
        deadline=_accepted(
            lambda: wf.set_deadline(appeal, actor, deadline_at=now, now=now, comment="")
        ),
        edit=open_ and actor.can(Permission.APPEAL_EDIT),
        child=open_ and actor.can(Permission.APPEAL_CREATE),
    )


def _moves(
    appeal: Appeal, route: Route, actor: Actor, context: EvalContext
) -> tuple[Transition, ...]:
    found = []
    for transition in route.stage(appeal.stage).transitions:
        try:
            wf.pass_on(appeal, route, actor, context, transition=transition.name)
        except CrmError:
            continue
        found.append(transition)
    return tuple(found)


def may_assign(appeal: Appeal, route: Route, actor: Actor) -> bool:
    """Whether `actor` may give `appeal` to a member of its queue."""
    queue = current_queue(appeal, route)
    return (
        actor.can(Permission.APPEAL_ASSIGN)
        and queue is not None
        and wf.administers(actor, queue)
    )


def current_queue(appeal: Appeal, route: Route) -> Queue | None:
    try:
        return route.stage(appeal.stage).queue(appeal.queue)
    except KeyError:
        return None


def work_queues(actor: Actor, routes: Iterable[Route]) -> frozenset[str]:
    """The names of the queues `actor` works in: a member or an administrator
    of them on any route version (appeals in flight keep older ones)."""
    names = {
        queue.name
        for route in routes
        for stage in route.stages
        for queue in stage.queues
        if wf.is_member(actor, queue) or wf.administers(actor, queue)
    }
    return frozenset(names)


def administered(actor: Actor, routes: Iterable[Route]) -> Members:
    """The queues `actor` administers (so may give appeals in), each with the
    members the routes name."""
    found: dict[str, frozenset[uuid.UUID]] = {}
    for route in routes:
        for stage in route.stages:
            for queue in stage.queues:
                if wf.administers(actor, queue):
                    found[queue.name] = (
                        found.get(queue.name, frozenset()) | queue.members
                    )
    return found


def _accepted(step: Callable[[], object]) -> bool:
    try:
        step()
    except CrmError:
        return False
    return True
