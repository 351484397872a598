"""IVR flows as validated data: the frozen model the interpreter walks, and
`parse_flow`, which turns a YAML/JSON document into it or refuses it with problems
naming the source, the node and the field. No file I/O here (see loader.py).

Pydantic checks shapes at the boundary (ivr.flow_document); the rest (exits,
input-free loops, template fields, rules) is checked on the built graph.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from crm_core.rules.errors import RuleError
from crm_core.rules.model import Schema, ValueType
from crm_core.rules.rule import Rule, compile_rule
from ivr.errors import FlowInvalid, FlowProblem
from ivr.flow_document import (
    BranchIn,
    CallbackIn,
    ChoiceIn,
    CollectIn,
    FlowIn,
    HangupIn,
    LookupIn,
    MenuIn,
    NodeIn,
    PlayIn,
    PromptIn,
    QueueIn,
    SayIn,
    SetIn,
    SurveyIn,
    TransferIn,
    VoicemailIn,
)
from ivr.model import (
    INPUT_NODES,
    TERMINAL_NODES,
    BranchNode,
    Calendar,
    CallbackNode,
    Case,
    Choice,
    CollectNode,
    Flow,
    FlowName,
    HangupNode,
    LookupKind,
    LookupNode,
    MenuNode,
    Node,
    NodeId,
    PlayNode,
    PromptSpec,
    QueueNode,
    ReadingStore,
    SetNode,
    SurveyNode,
    Template,
    TemplateField,
    TransferNode,
    VoicemailNode,
    exits,
)

CUSTOMER_FIELDS = frozenset(
    {
        "id",
        "name",
        "first_name",
        "last_name",
        "category",
        "vip",
        "account",
        "balance",
        "address",
        "network_node",
        "language",
    }
)
CALL_FIELDS = frozenset({"id", "caller", "dialled"})
LOOKUP_FIELDS: Mapping[LookupKind, frozenset[str]] = {
    LookupKind.BALANCE: frozenset({"amount", "currency", "as_of", "due_date"}),
    LookupKind.APPEAL_STATUS: frozenset({"number", "status", "topic", "updated_at"}),
    LookupKind.ORDER_STATUS: frozenset({"number", "status", "expected_on"}),
    LookupKind.OUTAGE: frozenset({"active", "kind", "text", "expected_end"}),
}
READING_MAX_DIGITS = 12
"""The longest meter reading a flow may collect for storing."""
STYLES = frozenset({"", "money", "digits", "number", "date", "time", "text"})
RULE_SCHEMA: Schema = {
    "Call": {
        "Id": ValueType.STRING,
        "Caller": ValueType.STRING,
        "Dialled": ValueType.STRING,
        "InBusinessHours": ValueType.BOOLEAN,
        "Holiday": ValueType.BOOLEAN,
        "Weekday": ValueType.NUMBER,
        "Hour": ValueType.NUMBER,
        "Minute": ValueType.NUMBER,
    },
    "Customer": ValueType.ANY,
    "Vars": ValueType.ANY,
    "Lookup": ValueType.ANY,
}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def document_digest(data: object) -> str:
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_flow(data: object, *, source: str, version: int = 1) -> Flow:
    """Validate a flow document (parsed YAML or a JSON body) and build the model.

    Raises FlowInvalid listing every problem, each naming `source`, the node and the
    field (unknown node kind, dangling exit, loop without input, unknown template
    field, bad rule syntax with its position, bad values)."""
    try:
        doc = FlowIn.model_validate(data)
    except ValidationError as error:
        raise FlowInvalid(_pydantic_problems(error, source)) from None
    return _Builder(doc, source=source).build(
        version=version, digest=document_digest(data)
    )


def _pydantic_problems(error: ValidationError, source: str) -> list[FlowProblem]:
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        node = ""
        if len(loc) >= 2 and loc[0] == "nodes":
            node = str(loc[1])
            loc = loc[2:]
            if loc and isinstance(loc[0], str) and loc[0] in _KINDS:
                loc = loc[1:]  # the discriminator's tag, not a field
        message = item["msg"]
        if item["type"] == "union_tag_invalid":
            message = f"unknown node kind {item['input'].get('kind')!r}; known: " + (
                ", ".join(sorted(_KINDS))
            )
        problems.append(
            FlowProblem(source=source, node=node, field=_dotted(loc), message=message)
        )
    return problems


_KINDS = frozenset(
    {
        "play",
        "say",
        "menu",
        "collect",
        "lookup",
        "branch",
        "set",
        "queue",
        "voicemail",
        "callback",
        "survey",
        "transfer",
        "hangup",
    }
)


def _dotted(loc: list[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# --- templates ----------------------------------------------------------------------


def parse_template(text: str) -> Template:
    """Split "Hello {customer.name}, you owe {lookup.balance.amount:money}" into
    literal text and fields. Raises ValueError on a malformed field."""
    parts: list[str | TemplateField] = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if conversion or not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[A-Za-z0-9_]+)*", name):
            raise ValueError(f"malformed field {{{name}}}")
        if spec not in STYLES:
            raise ValueError(
                f"unknown style {spec!r} in {{{name}}}; known: "
                + ", ".join(sorted(s for s in STYLES if s))
            )
        parts.append(TemplateField(path=tuple(name.split(".")), style=spec or ""))
    return Template(source=text, parts=tuple(parts))


def template_field_problem(
    item: TemplateField, *, variables: frozenset[str], lookups: Mapping[str, LookupKind]
) -> str | None:
    """Why a template field cannot be filled, or None if it is known."""
    path = item.path
    dotted = ".".join(path)
    match path:
        case ("value",):
            return None
        case ("customer", name) if name in CUSTOMER_FIELDS:
            return None
        case ("call", name) if name in CALL_FIELDS:
            return None
        case ("vars", name) if name in variables:
            return None
        case ("lookup", into, name) if into in lookups:
            if name in LOOKUP_FIELDS[lookups[into]]:
                return None
            known = ", ".join(sorted(LOOKUP_FIELDS[lookups[into]]))
            return f"unknown field {{{dotted}}}; a {lookups[into]} lookup has {known}"
    roots = "customer.<field>, call.<field>, vars.<name>, lookup.<into>.<field>, value"
    return f"unknown field {{{dotted}}} (use {roots})"


def compile_branch_rule(text: str) -> Rule:
    """A branch rule over Call, Customer, Vars and Lookup. Raises RuleError."""
    return compile_rule(text, RULE_SCHEMA, expect=ValueType.BOOLEAN)


def parse_hours(spec: Mapping[str, str]) -> dict[int, tuple[tuple[time, time], ...]]:
    """{"mon-fri": "09:00-18:00"} -> {0: ((09:00, 18:00),), ...}. Raises ValueError
    naming the bad key or interval."""
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for days, ranges in spec.items():
        first, _, last = days.lower().partition("-")
        if first not in _WEEKDAYS or (last and last not in _WEEKDAYS):
            raise ValueError(f"{days!r}: days are mon..sun or a range like mon-fri")
        start_day = _WEEKDAYS.index(first)
        end_day = _WEEKDAYS.index(last) if last else start_day
        intervals = tuple(_interval(r.strip(), days) for r in ranges.split(","))
        for day in range(start_day, end_day + 1):
            hours[day] = intervals
    return hours


def _interval(text: str, days: str) -> tuple[time, time]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text)
    if match is None:
        raise ValueError(f"{days!r}: {text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    end = time(23, 59, 59, 999999) if (h2, m2) == (24, 0) else None
    try:
        start, end = time(h1, m1), end or time(h2, m2)
    except ValueError:
        raise ValueError(f"{days!r}: {text!r} is not a time of day") from None
    if end <= start:
        raise ValueError(f"{days!r}: {text!r} ends before it starts")
    return start, end


def load_zone(name: str) -> ZoneInfo:
    """Raises ValueError for an unknown time zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


# --- building and checking the graph ----------------------------------------------


class _Builder:
    """Turns a shape-checked document into a Flow, collecting every problem."""

    def __init__(self, doc: FlowIn, *, source: str) -> None:
        self.doc = doc
        self.source = source
        self.problems: list[FlowProblem] = []
        self.variables = frozenset(_declared_variables(doc))
        self.lookups = {
            body.into or body.lookup.value: body.lookup
            for body in doc.nodes.values()
            if isinstance(body, LookupIn)
        }

    def problem(self, node: str, field: str, message: str) -> None:
        self.problems.append(
            FlowProblem(source=self.source, node=node, field=field, message=message)
        )

    def build(self, *, version: int, digest: str) -> Flow:
        doc = self.doc
        nodes = {NodeId(k): self.node(NodeId(k), body) for k, body in doc.nodes.items()}
        calendar = self.calendar()
        self.check_graph(nodes)
        if self.problems:
            raise FlowInvalid(self.problems)
        return Flow(
            name=FlowName(doc.flow),
            version=version,
            source=self.source,
            digest=digest,
            language=doc.language,
            currency=doc.currency,
            numbers=tuple(doc.numbers),
            start=NodeId(doc.start),
            operator=NodeId(doc.operator),
            nodes=nodes,
            calendar=calendar,
            min_confidence=doc.min_confidence,
            max_steps=doc.max_steps,
            variables=self.variables,
        )

    def template(self, node: str, field: str, text: str) -> Template:
        try:
            template = parse_template(text)
        except ValueError as error:
            self.problem(node, field, str(error))
            return Template(source=text, parts=(text,))
        for part in template.parts:
            if isinstance(part, TemplateField):
                why = template_field_problem(
                    part, variables=self.variables, lookups=self.lookups
                )
                if why is not None:
                    self.problem(node, field, why)
        return template

    def prompts(
        self, node: str, field: str, items: list[PromptIn]
    ) -> tuple[PromptSpec, ...]:
        out = []
        for i, item in enumerate(items):
            say = None
            if item.say is not None:
                say = self.template(node, f"{field}[{i}].say", item.say)
            out.append(PromptSpec(file=item.file, say=say))
        return tuple(out)

    def choices(self, node: str, items: list[ChoiceIn]) -> tuple[Choice, ...]:
        keys = [c.key for c in items if c.key is not None]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem(node, "choices", f"key {key!r} is used twice")
        return tuple(
            Choice(
                key=c.key,
                words=tuple(w.strip().lower() for w in c.say),
                goto=NodeId(c.goto),
                label=c.label or c.goto,
            )
            for c in items
        )

    def node(self, node_id: NodeId, body: NodeIn) -> Node:
        match body:
            case PlayIn():
                prompts = tuple(PromptSpec(file=f) for f in body.files)
                return PlayNode(id=node_id, prompts=prompts, next=NodeId(body.next))
            case SayIn():
                say = self.template(node_id, "text", body.text)
                prompts = (PromptSpec(say=say),)
                return PlayNode(id=node_id, prompts=prompts, next=NodeId(body.next))
            case MenuIn():
                return self.menu(node_id, body)
            case CollectIn():
                return self.collect(node_id, body)
            case LookupIn():
                return LookupNode(
                    id=node_id,
                    lookup=body.lookup,
                    into=body.into or body.lookup.value,
                    next=NodeId(body.next),
                    on_failure=NodeId(body.on_failure or body.next),
                )
            case BranchIn():
                return self.branch(node_id, body)
            case SetIn():
                values = tuple(
                    (name, self.template(node_id, f"values.{name}", text))
                    for name, text in body.values.items()
                )
                return SetNode(id=node_id, values=values, next=NodeId(body.next))
            case _:
                return self.other(node_id, body)

    def other(
        self,
        node_id: NodeId,
        body: QueueIn | VoicemailIn | CallbackIn | SurveyIn | TransferIn | HangupIn,
    ) -> Node:
        match body:
            case QueueIn():
                skills = tuple(body.skills)
                return QueueNode(
                    id=node_id, queue=body.queue, skills=skills, priority=body.priority
                )
            case VoicemailIn():
                return VoicemailNode(
                    id=node_id,
                    topic=body.topic,
                    prompts=self.prompts(node_id, "prompt", body.prompt),
                    max_duration_s=body.max_duration_s,
                )
            case CallbackIn():
                return CallbackNode(
                    id=node_id,
                    queue=body.queue,
                    number=self.template(node_id, "number", body.number),
                    next=NodeId(body.next),
                )
            case SurveyIn():
                return self.survey(node_id, body)
            case TransferIn():
                return TransferNode(id=node_id, number=body.number)
            case HangupIn():
                return HangupNode(id=node_id)

    def menu(self, node_id: NodeId, body: MenuIn) -> MenuNode:
        choices = self.choices(node_id, body.choices)
        return MenuNode(
            id=node_id,
            prompts=self.prompts(node_id, "prompt", body.prompt),
            choices=choices,
            timeout_s=body.timeout_s,
            retries=body.retries,
            invalid_prompts=self.prompts(
                node_id, "invalid_prompt", body.invalid_prompt
            ),
            no_input_prompts=self.prompts(
                node_id, "no_input_prompt", body.no_input_prompt
            ),
            default=NodeId(body.default),
            speech=any(c.words for c in choices),
            min_confidence=body.min_confidence or self.doc.min_confidence,
        )

    def collect(self, node_id: NodeId, body: CollectIn) -> CollectNode:
        store = None
        if body.store_reading is not None:
            store = self.reading_store(node_id, body)
        return CollectNode(
            id=node_id,
            prompts=self.prompts(node_id, "prompt", body.prompt),
            into=body.into,
            min_digits=body.min_digits,
            max_digits=body.max_digits,
            terminator=body.terminator,
            speech=body.speech,
            confirm=body.confirm,
            confirm_prompts=self.prompts(
                node_id, "confirm_prompt", body.confirm_prompt
            ),
            timeout_s=body.timeout_s,
            retries=body.retries,
            min_confidence=body.min_confidence or self.doc.min_confidence,
            next=NodeId(body.next),
            on_failure=NodeId(body.on_failure),
            store=store,
        )

    def reading_store(self, node_id: NodeId, body: CollectIn) -> ReadingStore:
        spec = body.store_reading
        assert spec is not None
        if not body.confirm:
            self.problem(
                node_id,
                "store_reading",
                "a reading is read back before it is stored: set confirm: true",
            )
        if body.max_digits > READING_MAX_DIGITS:
            self.problem(
                node_id,
                "max_digits",
                f"a meter reading has at most {READING_MAX_DIGITS} digits",
            )
        return ReadingStore(
            meter=spec.meter,
            failed_prompts=self.prompts(
                node_id, "store_reading.failed_prompt", spec.failed_prompt
            ),
            on_error=NodeId(spec.on_error or self.doc.operator),
        )

    def branch(self, node_id: NodeId, body: BranchIn) -> BranchNode:
        cases = []
        for i, case in enumerate(body.cases):
            try:
                rule = compile_branch_rule(case.when)
            except RuleError as error:
                self.problem(
                    node_id, f"cases[{i}].when", f"{error.position}: {error.reason}"
                )
                continue
            cases.append(Case(rule=rule, goto=NodeId(case.goto)))
        return BranchNode(
            id=node_id, cases=tuple(cases), otherwise=NodeId(body.otherwise)
        )

    def survey(self, node_id: NodeId, body: SurveyIn) -> SurveyNode:
        answers = [
            ChoiceIn(key=a.key, say=a.say, goto=body.next, label=a.value)
            for a in body.answers
        ]
        return SurveyNode(
            id=node_id,
            question=body.question,
            prompts=self.prompts(node_id, "prompt", body.prompt),
            answers=self.choices(node_id, answers),
            timeout_s=body.timeout_s,
            retries=body.retries,
            next=NodeId(body.next),
        )

    def calendar(self) -> Calendar:
        spec = self.doc.calendar
        try:
            zone = load_zone(spec.timezone)
        except ValueError as error:
            self.problem("", "calendar.timezone", str(error))
            zone = ZoneInfo("UTC")
        try:
            hours = parse_hours(spec.hours)
        except ValueError as error:
            self.problem("", "calendar.hours", str(error))
            hours = {}
        return Calendar(zone=zone, hours=hours, holidays=frozenset(spec.holidays))

    def check_graph(self, nodes: Mapping[NodeId, Node]) -> None:
        for node in nodes.values():
            for field, target in exits(node):
                if target not in nodes:
                    self.problem(
                        node.id, field, f"goes to {target!r}, which is not a node"
                    )
        for field in ("start", "operator"):
            target = getattr(self.doc, field)
            if target not in nodes:
                self.problem("", field, f"{target!r} is not a node")
        operator = nodes.get(NodeId(self.doc.operator))
        if operator is not None and not isinstance(operator, TERMINAL_NODES):
            self.problem(
                "", "operator", "must be a queue, transfer, voicemail or hangup node"
            )
        for cycle in _input_free_cycles(nodes):
            path = " -> ".join([*cycle, cycle[0]])
            self.problem(cycle[0], "", f"loop without caller input: {path}")


def _declared_variables(doc: FlowIn) -> set[str]:
    names: set[str] = set()
    for body in doc.nodes.values():
        if isinstance(body, CollectIn):
            names.add(body.into)
        elif isinstance(body, SetIn):
            names.update(body.values)
        elif isinstance(body, SurveyIn):
            names.add(body.question)
    return names


def _input_free_cycles(nodes: Mapping[NodeId, Node]) -> list[list[NodeId]]:
    """Cycles through nodes none of which waits for the caller (each cycle reported
    once, from the depth-first search started in document order)."""
    done: set[NodeId] = set()
    cycles: list[list[NodeId]] = []

    def automatic(node_id: NodeId) -> bool:
        return node_id in nodes and not isinstance(nodes[node_id], INPUT_NODES)

    for root in nodes:
        if root in done or not automatic(root):
            continue
        path = [root]
        stack = [iter(dict.fromkeys(t for _, t in exits(nodes[root])))]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                stack.pop()
                done.add(path.pop())
            elif target in path:
                cycles.append(path[path.index(target) :])
            elif automatic(target) and target not in done:
                path.append(target)
                stack.append(iter(dict.fromkeys(t for _, t in exits(nodes[target]))))
    return cycles
