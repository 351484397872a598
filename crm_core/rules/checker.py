"""Static checks of a rule AST against a schema: unknown fields and type errors are
found before the rule is ever evaluated, each naming its position. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from crm_core.rules.errors import RuleFieldError, RuleTypeError
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
    Schema,
    Value,
    ValueType,
)

T = ValueType
_ORDERED = frozenset({T.NUMBER, T.STRING, T.DATE, T.DATETIME})


def check(expr: Expr, schema: Schema | None) -> ValueType:
    """The type `expr` computes, given the fields `schema` declares.

    With `schema` None every field is accepted with type ANY. Raises RuleFieldError for
    a field the schema does not declare and RuleTypeError for mismatched operands.
    """
    match expr:
        case Literal(value=value):
            return type_of(value)
        case Path():
            return T.ANY if schema is None else resolve(expr, schema)
        case Call(function=function):
            return T.DATE if function is Function.TODAY else T.DATETIME
        case Not(operand=operand):
            _expect_boolean(operand, check(operand, schema))
            return T.BOOLEAN
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                _expect_boolean(operand, check(operand, schema))
            return T.BOOLEAN
        case Negate(operand=operand):
            kind = check(operand, schema)
            if kind not in (T.NUMBER, T.ANY, T.NULL):
                raise RuleTypeError(f"cannot negate a {kind}", expr.position)
            return T.NUMBER
        case Compare(op=op, left=left, right=right):
            _check_comparable(expr, op, check(left, schema), check(right, schema))
            return T.BOOLEAN
        case In(item=item, options=options):
            item_type = check(item, schema)
            for option in options:
                _check_comparable(
                    option, CompareOp.EQ, item_type, check(option, schema)
                )
            return T.BOOLEAN
        case Arith(op=op, left=left, right=right):
            return arith_type(expr, op, check(left, schema), check(right, schema))


def resolve(path: Path, schema: Schema) -> ValueType:
    """The declared type of `path`; RuleFieldError names the first unknown part."""
    node: ValueType | Schema = schema
    for index, part in enumerate(path.parts):
        if node is T.ANY:
            return T.ANY
        if not isinstance(node, Mapping):
            prefix = ".".join(path.parts[:index])
            raise RuleFieldError(
                f"{prefix} is a {node} and has no field {part!r}", path.position
            )
        if part not in node:
            known = ", ".join(sorted(node)) or "none"
            raise RuleFieldError(
                f"unknown field {'.'.join(path.parts[: index + 1])}"
                f" (known here: {known})",
                path.position,
            )
        node = node[part]
    if isinstance(node, Mapping):
        raise RuleFieldError(
            f"{path.dotted} is a group of fields, not a value", path.position
        )
    return node


def type_of(value: Value) -> ValueType:
    match value:
        case None:
            return T.NULL
        case bool():
            return T.BOOLEAN
        case Decimal():
            return T.NUMBER
        case str():
            return T.STRING
        case datetime():
            return T.DATETIME
        case date():
            return T.DATE


def arith_type(expr: Expr, op: ArithOp, left: ValueType, right: ValueType) -> ValueType:
    """Numbers combine with + - * /; a date or datetime plus or minus a number of days
    is a date or datetime."""
    if T.ANY in (left, right) or T.NULL in (left, right):
        return left if left in (T.DATE, T.DATETIME) else T.ANY
    if left is T.NUMBER and right is T.NUMBER:
        return T.NUMBER
    temporal = left in (T.DATE, T.DATETIME) and right is T.NUMBER
    if temporal and op in (ArithOp.ADD, ArithOp.SUB):
        return left
    raise RuleTypeError(
        f"cannot apply {op.value} to a {left} and a {right}", expr.position
    )


def _expect_boolean(expr: Expr, kind: ValueType) -> None:
    if kind not in (T.BOOLEAN, T.ANY, T.NULL):
        raise RuleTypeError(f"expected a boolean, found a {kind}", expr.position)


def _check_comparable(
    expr: Expr, op: CompareOp, left: ValueType, right: ValueType
) -> None:
    if T.ANY in (left, right) or T.NULL in (left, right):
        return
    if left is not right:
        raise RuleTypeError(f"cannot compare a {left} with a {right}", expr.position)
    if op not in (CompareOp.EQ, CompareOp.NE) and left not in _ORDERED:
        raise RuleTypeError(f"a {left} has no order for {op.value}", expr.position)
