"""Evaluation of a rule AST against a context of nested mappings or objects. Pure:
`today()` and `now()` come from the context, never from the clock.

Semantics: a field missing from the context is null; null equals only null, and any
ordering with null is false; null counts as false where a boolean is needed. Numbers
are Decimal. `date + n` adds n days. Anything else of the wrong type raises
RuleEvaluationError, the only error evaluation raises.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from crm_core.rules.checker import type_of
from crm_core.rules.errors import RuleEvaluationError
from crm_core.rules.model import (
    And,
    Arith,
    ArithOp,
    Call,
    Compare,
    CompareOp,
    Expr,
    Function,
    In,
    Literal,
    Negate,
    Not,
    Or,
    Path,
    Value,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalContext:
    """What a rule sees: named roots (`Customer`, `Appeal`...) and the moment."""

    fields: Mapping[str, object]
    today: date
    now: datetime
    """Aware UTC."""


def evaluate(expr: Expr, context: EvalContext) -> Value:
    """The value of `expr` in `context`. Raises only RuleEvaluationError."""
    match expr:
        case Literal(value=value):
            return value
        case Path():
            return lookup(expr, context.fields)
        case Call(function=function):
            return context.today if function is Function.TODAY else context.now
        case Not(operand=operand):
            return not truth(operand, context)
        case And(operands=operands):
            return all(truth(o, context) for o in operands)
        case Or(operands=operands):
            return any(truth(o, context) for o in operands)
        case Negate(operand=operand):
            value = evaluate(operand, context)
            if value is None:
                return None
            if isinstance(value, Decimal):
                return -value
            raise RuleEvaluationError(f"cannot negate {_kind(value)}", expr.position)
        case Compare(op=op, left=left, right=right):
            return compare(expr, op, evaluate(left, context), evaluate(right, context))
        case In(item=item, options=options, negated=negated):
            value = evaluate(item, context)
            found = any(
                compare(o, CompareOp.EQ, value, evaluate(o, context)) for o in options
            )
            return found != negated
        case Arith(op=op, left=left, right=right):
            return arithmetic(
                expr, op, evaluate(left, context), evaluate(right, context)
            )


def truth(expr: Expr, context: EvalContext) -> bool:
    value = evaluate(expr, context)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise RuleEvaluationError(
        f"expected a boolean, found {_kind(value)}", expr.position
    )


def lookup(path: Path, fields: Mapping[str, object]) -> Value:
    node: object = fields
    for part in path.parts:
        if node is None:
            return None
        if isinstance(node, Mapping):
            node = node.get(part)
        elif dataclasses.is_dataclass(node) and not part.startswith("_"):
            node = getattr(node, part, None)
        else:
            raise RuleEvaluationError(
                f"{path.dotted}: {part!r} is looked up in a plain value", path.position
            )
    return normalise(node, path)


def normalise(raw: object, path: Path) -> Value:
    """A context value as a rule value: ints and floats become Decimal, enums their
    value, UUIDs their text."""
    match raw:
        case None | bool() | Decimal() | str() | date():
            return raw
        case enum.Enum():
            return normalise(raw.value, path)
        case int():
            return Decimal(raw)
        case float():
            return Decimal(str(raw))
        case uuid.UUID():
            return str(raw)
        case _:
            raise RuleEvaluationError(
                f"{path.dotted} is a {type(raw).__name__}, not a value", path.position
            )


def compare(expr: Expr, op: CompareOp, left: Value, right: Value) -> bool:
    if left is None or right is None:
        if op is CompareOp.EQ:
            return left is right
        return op is CompareOp.NE and left is not right
    if type_of(left) is not type_of(right):
        raise RuleEvaluationError(
            f"cannot compare {_kind(left)} with {_kind(right)}", expr.position
        )
    if op is CompareOp.EQ:
        return left == right
    if op is CompareOp.NE:
        return left != right
    if isinstance(left, bool):
        raise RuleEvaluationError(
            f"a boolean has no order for {op.value}", expr.position
        )
    ordered = _ordered(left, right)
    match op:
        case CompareOp.LT:
            return ordered < 0
        case CompareOp.LE:
            return ordered <= 0
        case CompareOp.GT:
            return ordered > 0
        case CompareOp.GE:
            return ordered >= 0
    raise AssertionError(op)  # EQ and NE returned above


def _ordered(left: Value, right: Value) -> int:
    """-1, 0 or 1; both values are of the same, ordered, type."""
    return (left > right) - (left < right)  # type: ignore[operator]  # same type, checked above


def arithmetic(expr: Expr, op: ArithOp, left: Value, right: Value) -> Value:
    if left is None or right is None:
        return None
    try:
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            match op:
                case ArithOp.ADD:
                    return left + right
                case ArithOp.SUB:
                    return left - right
                case ArithOp.MUL:
                    return left * right
                case ArithOp.DIV:
                    return left / right
        if isinstance(left, date) and isinstance(right, Decimal):
            days = timedelta(days=float(right))
            if op is ArithOp.ADD:
                return left + days
            if op is ArithOp.SUB:
                return left - days
    except (ArithmeticError, InvalidOperation, OverflowError, ValueError) as error:
        raise RuleEvaluationError(
            f"cannot compute {op.value}: {error}", expr.position
        ) from None
    raise RuleEvaluationError(
        f"cannot apply {op.value} to {_kind(left)} and {_kind(right)}", expr.position
    )


def _kind(value: Value) -> str:
    return f"a {type_of(value)}"
