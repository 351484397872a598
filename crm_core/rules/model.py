"""The AST of the rules language, its value types and the schema fields are checked
against. Pure data: frozen dataclasses, no behaviour beyond small helpers.

Positions are left out of equality, so a rule parsed from its printed form equals the
original.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

Value = str | Decimal | bool | date | datetime | None
"""A value a rule computes with (integers become Decimal; datetimes are aware UTC)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a token starts: 1-based line and column, 0-based offset."""

    line: int = 1
    column: int = 1
    offset: int = 0

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


_NOWHERE = Position()


class ValueType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    NULL = "null"
    ANY = "any"
    """Unknown: accepted everywhere, checked when evaluated. In a schema, a field of
    type ANY may also have any sub-fields (an open group)."""


Schema = Mapping[str, "ValueType | Schema"]
"""Declared fields: a name maps to a value type or to a group of further fields."""


class CompareOp(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class ArithOp(StrEnum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"


class Function(StrEnum):
    TODAY = "today"
    NOW = "now"


@dataclass(frozen=True, slots=True, kw_only=True)
class Literal:
    value: Value
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Path:
    parts: tuple[str, ...]
    position: Position = field(default=_NOWHERE, compare=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    function: Function
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    operand: Expr
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Negate:
    operand: Expr
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class And:
    operands: tuple[Expr, ...]
    """Two or more."""
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Or:
    operands: tuple[Expr, ...]
    """Two or more."""
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class In:
    item: Expr
    options: tuple[Expr, ...]
    """One or more."""
    negated: bool = False
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Arith:
    op: ArithOp
    left: Expr
    right: Expr
    position: Position = field(default=_NOWHERE, compare=False)


Expr = Literal | Path | Call | Not | Negate | And | Or | Compare | In | Arith


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of `expr`."""
    match expr:
        case Literal() | Path() | Call():
            return ()
        case Not(operand=o) | Negate(operand=o):
            return (o,)
        case And(operands=ops) | Or(operands=ops):
            return ops
        case Compare(left=left, right=right) | Arith(left=left, right=right):
            return (left, right)
        case In(item=item, options=options):
            return (item, *options)
