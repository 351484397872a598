"""The simple formatting of an article's body, read into blocks a page renders
with its own tags (no HTML from the writer ever reaches a page):

    # A heading            a line starting with "#"
    - an item              lines starting with "- " or "* " make a list
    1. a step              lines starting with "1. " or "1) " make a numbered list
    **bold**               within any line
    https://example.org    a web address becomes a link

Blank lines separate paragraphs; other line breaks are kept. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")
_INLINE = re.compile(r"\*\*(?P<bold>[^*\n]+)\*\*|(?P<url>https?://[^\s<>\"')\]]+)")
_TRAILING = ".,;:!?"
"""Punctuation after a web address ends the sentence, not the address."""


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    BULLETS = "bullets"
    NUMBERS = "numbers"


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    text: str
    bold: bool = False
    href: str | None = None
    """A web address (http or https only) when the span is a link."""


Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    kind: BlockKind
    lines: tuple[Line, ...]
    """A paragraph's lines, a list's items, a heading's one line."""


def blocks(body: str) -> tuple[Block, ...]:
    """`body` read as blocks, in order."""
    found: list[Block] = []
    kind: BlockKind | None = None
    lines: list[Line] = []
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line_kind, text = _line(raw)
        if line_kind is None or line_kind != kind or line_kind is BlockKind.HEADING:
            if kind is not None:
                found.append(Block(kind=kind, lines=tuple(lines)))
            kind, lines = line_kind, []
        if line_kind is not None:
            lines.append(spans(text))
    if kind is not None:
        found.append(Block(kind=kind, lines=tuple(lines)))
    return tuple(found)


def plain(body: str) -> str:
    """`body` without its formatting marks: what a snippet is cut from."""
    return "\n".join(
        "".join(span.text for span in line)
        for block in blocks(body)
        for line in block.lines
    )


def spans(text: str) -> Line:
    """One line's text, bold parts and links."""
    found: list[Span] = []
    at = 0
    for match in _INLINE.finditer(text):
        bold, url = match.group("bold"), match.group("url")
        end = match.end()
        if url is not None:
            kept = url.rstrip(_TRAILING)
            end -= len(url) - len(kept)
            url = kept
        if match.start() > at:
            found.append(Span(text=text[at : match.start()]))
        if bold is not None:
            found.append(Span(text=bold, bold=True))
        else:
            found.append(Span(text=url or "", href=url))
        at = end
    if at < len(text):
        found.append(Span(text=text[at:]))
    return tuple(found)


def _line(raw: str) -> tuple[BlockKind | None, str]:
    if not raw.strip():
        return None, ""
    for pattern, kind in (
        (_HEADING, BlockKind.HEADING),
        (_BULLET, BlockKind.BULLETS),
        (_NUMBERED, BlockKind.NUMBERS),
    ):
        match = pattern.match(raw)
        if match:
            return kind, match.group(1).strip()
    return BlockKind.PARAGRAPH, raw.strip()
