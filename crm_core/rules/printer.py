"""The canonical text of a rule AST: parsing it gives back an equal AST. Pure."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from crm_core.rules.model import (
    And,
    Arith,
    ArithOp,
    Call,
    Compare,
    Expr,
    In,
    Literal,
    Negate,
    Not,
    Or,
    Path,
    Value,
)

# Binding strength, loosest first; a child looser than its slot is parenthesised.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _PRIMARY = range(8)


def to_text(expr: Expr) -> str:
    """`expr` as rule text, with only the parentheses it needs."""
    match expr:
        case Literal(value=value):
            return literal_text(value)
        case Path(parts=parts):
            return ".".join(parts)
        case Call(function=function):
            return f"{function.value}()"
        case Not(operand=operand):
            return f"not {_wrap(operand, _NOT)}"
        case Negate(operand=operand):
            number = operand.value if isinstance(operand, Literal) else None
            if isinstance(number, Decimal) and not number.is_signed():
                return f"-({to_text(operand)})"
            return f"-{_wrap(operand, _UNARY)}"
        case And(operands=operands):
            return " and ".join(_wrap(o, _AND + 1) for o in operands)
        case Or(operands=operands):
            return " or ".join(_wrap(o, _OR + 1) for o in operands)
        case Compare(op=op, left=left, right=right):
            return f"{_wrap(left, _SUM)} {op.value} {_wrap(right, _SUM)}"
        case In(item=item, options=options, negated=negated):
            inside = ", ".join(_wrap(o, _SUM) for o in options)
            keyword = "not in" if negated else "in"
            return f"{_wrap(item, _SUM)} {keyword} ({inside})"
        case Arith(op=op, left=left, right=right):
            level = _SUM if op in (ArithOp.ADD, ArithOp.SUB) else _PRODUCT
            return f"{_wrap(left, level)} {op.value} {_wrap(right, level + 1)}"


def literal_text(value: Value) -> str:
    """A literal as rule text: `"a\\"b"`, `12.50`, `true`, `date("2026-01-31")`."""
    match value:
        case None:
            return "null"
        case bool():
            return "true" if value else "false"
        case Decimal():
            return format(value, "f")
        case str():
            return _quote(value)
        case datetime():
            return f'datetime("{value.isoformat()}")'
        case date():
            return f'date("{value.isoformat()}")'


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _wrap(expr: Expr, slot: int) -> str:
    text = to_text(expr)
    return f"({text})" if _level(expr) < slot else text


def _level(expr: Expr) -> int:
    match expr:
        case Or():
            return _OR
        case And():
            return _AND
        case Not():
            return _NOT
        case Compare() | In():
            return _COMPARE
        case Arith(op=op):
            return _SUM if op in (ArithOp.ADD, ArithOp.SUB) else _PRODUCT
        case Negate():
            return _UNARY
        case Literal(value=Decimal() as number) if number.is_signed():
            return _UNARY
        case Literal() | Path() | Call():
            return _PRIMARY
