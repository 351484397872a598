"""Recursive-descent parser of the rules language: text to an AST. Pure.

Grammar (keywords are case-insensitive; `and` binds tighter than `or`):

    rule       := or END
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("=" | "!=" | "<" | "<=" | ">" | ">=") sum
                      | ["not"] "in" "(" sum ("," sum)* ")"]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | STRING | "true" | "false" | "null"
                | "date" "(" STRING ")" | "datetime" "(" STRING ")"
                | "today" "(" ")" | "now" "(" ")"
                | WORD ("." WORD)* | "(" or ")"

Dates are written `date("2026-01-31")`, datetimes `datetime("2026-01-31T10:00:00Z")`
(ISO 8601; without an offset they are UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from crm_core.rules.errors import RuleSyntaxError
from crm_core.rules.lexer import Kind, Token, tokenize
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
    children,
)

MAX_DEPTH = 100
"""Deepest nesting accepted, so no later walk over the AST can exhaust the stack."""

KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "true",
        "false",
        "null",
        "date",
        "datetime",
        "today",
        "now",
    }
)
_COMPARE = {op.value: op for op in CompareOp}


def parse(text: str) -> Expr:
    """The AST of rule `text`.

    Raises RuleSyntaxError naming the position and what was expected.
    """
    parser = _Parser(tokenize(text))
    expr = parser.or_()
    parser.expect_end()
    _check_depth(expr)
    return expr


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.END:
            self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.token.kind is Kind.WORD and self.token.text.lower() == word

    def at_symbol(self, symbol: str) -> bool:
        return self.token.kind is Kind.SYMBOL and self.token.text == symbol

    def fail(self, expected: str) -> RuleSyntaxError:
        token = self.token
        return RuleSyntaxError(
            f"expected {expected}, found {token.describe()}", token.position
        )

    def expect_symbol(self, symbol: str) -> Token:
        if not self.at_symbol(symbol):
            raise self.fail(f"'{symbol}'")
        return self.next()

    def expect_end(self) -> None:
        if self.token.kind is not Kind.END:
            raise self.fail("an operator or the end of the rule")

    def nest(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise RuleSyntaxError(
                f"the rule is nested more than {MAX_DEPTH} levels deep",
                self.token.position,
            )

    def or_(self) -> Expr:
        start = self.token.position
        operands = [self.and_()]
        while self.at_keyword("or"):
            self.next()
            operands.append(self.and_())
        return (
            operands[0]
            if len(operands) == 1
            else Or(operands=tuple(operands), position=start)
        )

    def and_(self) -> Expr:
        start = self.token.position
        operands = [self.not_()]
        while self.at_keyword("and"):
            self.next()
            operands.append(self.not_())
        return (
            operands[0]
            if len(operands) == 1
            else And(operands=tuple(operands), position=start)
        )

    def not_(self) -> Expr:
        if not self.at_keyword("not"):
            return self.comparison()
        start = self.next().position
        self.nest()
        operand = self.not_()
        self.nesting -= 1
        return Not(operand=operand, position=start)

    def comparison(self) -> Expr:
        left = self.sum()
        token = self.token
        if token.kind is Kind.SYMBOL and token.text in _COMPARE:
            self.next()
            right = self.sum()
            return Compare(
                op=_COMPARE[token.text], left=left, right=right, position=token.position
            )
        negated = False
        if self.at_keyword("not"):
            self.next()
            negated = True
            if not self.at_keyword("in"):
                raise self.fail("'in' after 'not'")
        if not self.at_keyword("in"):
            return left
        self.next()
        self.expect_symbol("(")
        options = [self.sum()]
        while self.at_symbol(","):
            self.next()
            options.append(self.sum())
        self.expect_symbol(")")
        return In(
            item=left, options=tuple(options), negated=negated, position=token.position
        )

    def sum(self) -> Expr:
        left = self.product()
        while self.at_symbol("+") or self.at_symbol("-"):
            token = self.next()
            right = self.product()
            left = Arith(
                op=ArithOp(token.text), left=left, right=right, position=token.position
            )
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.at_symbol("*") or self.at_symbol("/"):
            token = self.next()
            right = self.unary()
            left = Arith(
                op=ArithOp(token.text), left=left, right=right, position=token.position
            )
        return left

    def unary(self) -> Expr:
        if not self.at_symbol("-"):
            return self.primary()
        start = self.next().position
        if self.token.kind is Kind.NUMBER:
            return Literal(value=-Decimal(self.next().text), position=start)
        self.nest()
        operand = self.unary()
        self.nesting -= 1
        return Negate(operand=operand, position=start)

    def primary(self) -> Expr:
        token = self.token
        match token.kind:
            case Kind.NUMBER:
                self.next()
                return Literal(value=Decimal(token.text), position=token.position)
            case Kind.STRING:
                self.next()
                return Literal(value=token.text, position=token.position)
            case Kind.WORD:
                return self.word()
            case Kind.SYMBOL if token.text == "(":
                self.next()
                self.nest()
                inner = self.or_()
                self.nesting -= 1
                self.expect_symbol(")")
                return inner
            case Kind.SYMBOL | Kind.END:
                raise self.fail("a value, a field or '('")

    def word(self) -> Expr:
        token = self.next()
        keyword = token.text.lower()
        constants: dict[str, Value] = {"true": True, "false": False, "null": None}
        if keyword in constants:
            return Literal(value=constants[keyword], position=token.position)
        if keyword in ("date", "datetime"):
            return self.temporal(keyword, token)
        if keyword in ("today", "now"):
            self.expect_symbol("(")
            self.expect_symbol(")")
            return Call(function=Function(keyword), position=token.position)
        if keyword in KEYWORDS:
            self.index -= 1
            raise self.fail("a value, a field or '('")
        parts = [token.text]
        while self.at_symbol("."):
            self.next()
            if self.token.kind is not Kind.WORD:
                raise self.fail("a field name after '.'")
            parts.append(self.next().text)
        return Path(parts=tuple(parts), position=token.position)

    def temporal(self, keyword: str, token: Token) -> Literal:
        self.expect_symbol("(")
        text_token = self.token
        if text_token.kind is not Kind.STRING:
            raise self.fail(f'a quoted {keyword} such as "2026-01-31"')
        self.next()
        self.expect_symbol(")")
        value = _parse_temporal(keyword, text_token)
        return Literal(value=value, position=token.position)


def _parse_temporal(keyword: str, token: Token) -> date | datetime:
    try:
        if keyword == "date":
            return date.fromisoformat(token.text)
        moment = datetime.fromisoformat(token.text)
        return (
            moment.replace(tzinfo=UTC)
            if moment.tzinfo is None
            else moment.astimezone(UTC)
        )
    except (ValueError, OverflowError):
        example = "2026-01-31" if keyword == "date" else "2026-01-31T10:00:00Z"
        raise RuleSyntaxError(
            f"{token.text!r} is not an ISO {keyword}: expected e.g. {example!r}",
            token.position,
        ) from None


def _check_depth(expr: Expr) -> None:
    """Reject ASTs deeper than MAX_DEPTH (long left-deep `a + b + c ...` chains)."""
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RuleSyntaxError(
                f"the rule is nested more than {MAX_DEPTH} levels deep", node.position
            )
        stack.extend((child, depth + 1) for child in children(node))
