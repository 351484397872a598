"""Tokeniser of the rules language: text to a list of tokens with positions. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm_core.rules.errors import RuleSyntaxError
from crm_core.rules.model import Position

MAX_RULE_LENGTH = 10_000


class Kind(StrEnum):
    WORD = "word"
    NUMBER = "number"
    STRING = "string"
    SYMBOL = "symbol"
    END = "end of rule"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    """The word, the number's digits, the string's decoded content or the symbol."""
    position: Position

    def describe(self) -> str:
        match self.kind:
            case Kind.END:
                return "end of rule"
            case Kind.STRING:
                return "a string"
            case Kind.WORD | Kind.NUMBER | Kind.SYMBOL:
                return f"'{self.text}'"


_SYMBOLS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "(", ")", ",", ".")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class _Cursor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.column = 1

    def position(self) -> Position:
        return Position(self.line, self.column, self.offset)

    def peek(self, ahead: int = 0) -> str:
        index = self.offset + ahead
        return self.text[index] if index < len(self.text) else ""

    def advance(self) -> str:
        char = self.text[self.offset]
        self.offset += 1
        if char == "\n":
            self.line += 1
            self.column = 1
        else:
            self.column += 1
        return char


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an END token.

    Raises RuleSyntaxError on a character that starts no token, an unterminated string
    or an unknown escape, each with its position.
    """
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"a rule may be at most {MAX_RULE_LENGTH} characters long", Position()
        )
    cursor = _Cursor(text)
    tokens: list[Token] = []
    while True:
        while cursor.peek().isspace():
            cursor.advance()
        start = cursor.position()
        char = cursor.peek()
        if char == "":
            tokens.append(Token(Kind.END, "", start))
            return tokens
        if char.isalpha() or char == "_":
            tokens.append(Token(Kind.WORD, _word(cursor), start))
        elif char.isdigit():
            tokens.append(Token(Kind.NUMBER, _number(cursor), start))
        elif char == '"':
            tokens.append(Token(Kind.STRING, _string(cursor), start))
        else:
            tokens.append(Token(Kind.SYMBOL, _symbol(cursor), start))


def _word(cursor: _Cursor) -> str:
    chars = []
    while cursor.peek().isalnum() or cursor.peek() == "_":
        chars.append(cursor.advance())
    return "".join(chars)


def _number(cursor: _Cursor) -> str:
    chars = []
    while cursor.peek().isascii() and cursor.peek().isdigit():
        chars.append(cursor.advance())
    if cursor.peek() == "." and cursor.peek(1).isascii() and cursor.peek(1).isdigit():
        chars.append(cursor.advance())
        while cursor.peek().isascii() and cursor.peek().isdigit():
            chars.append(cursor.advance())
    if not chars:
        raise RuleSyntaxError(
            f"unexpected character {cursor.peek()!r}", cursor.position()
        )
    return "".join(chars)


def _string(cursor: _Cursor) -> str:
    start = cursor.position()
    cursor.advance()
    chars: list[str] = []
    while True:
        char = cursor.peek()
        if char == "":
            raise RuleSyntaxError("unterminated string: expected '\"'", start)
        if char == '"':
            cursor.advance()
            return "".join(chars)
        if char == "\\":
            escape_at = cursor.position()
            cursor.advance()
            escaped = _ESCAPES.get(cursor.peek())
            if escaped is None:
                raise RuleSyntaxError(
                    'unknown escape: expected one of \\" \\\\ \\n \\t \\r', escape_at
                )
            cursor.advance()
            chars.append(escaped)
        else:
            chars.append(cursor.advance())


def _symbol(cursor: _Cursor) -> str:
    for symbol in _SYMBOLS:
        if cursor.text.startswith(symbol, cursor.offset):
            for _ in symbol:
                cursor.advance()
            return symbol
    raise RuleSyntaxError(f"unexpected character {cursor.peek()!r}", cursor.position())
