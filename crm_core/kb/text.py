# ruff: noqa: RUF001, RUF002  Russian letters
"""Words for full-text search, the same on both engines: splitting text into
words, Snowball stemming (Russian for Cyrillic words, English for Latin ones, as
PostgreSQL's `russian` configuration does), stop words, the query a person types
(every word must match; the last one, still being typed, as a prefix), and the
snippet that shows where the words are. SQLite's FTS5 has no stemmer: its index
holds the stems made here. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from crm_core.kb.model import Segment, Snippet
from crm_core.kb.stopwords import ENGLISH, RUSSIAN

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
_STEMMERS = {
    "russian": snowballstemmer.stemmer("russian"),
    "english": snowballstemmer.stemmer("english"),
}
MAX_WORDS = 16
SNIPPET_CHARS = 220
SNIPPET_LEAD = 60
"""How much of the text before the first hit a snippet keeps."""


def normal(word: str) -> str:
    """A word as search compares it: lower case, ё as е."""
    return word.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """The words of `text`, normalised, in order (punctuation dropped)."""
    return [normal(w) for w in _WORD.findall(text)]


def is_stop_word(word: str) -> bool:
    return word in (RUSSIAN if _CYRILLIC.search(word) else ENGLISH)


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball stem of a normalised word (Russian for Cyrillic, English for
    Latin, other words as they are)."""
    if _CYRILLIC.search(word):
        result: str = _STEMMERS["russian"].stemWord(word)
    elif _LATIN.search(word):
        result = _STEMMERS["english"].stemWord(word)
    else:
        result = word
    return result


def stems(text: str) -> str:
    """What SQLite's index holds for `text`: its stems without stop words, in
    order, separated by spaces."""
    return " ".join(stem(w) for w in words(text) if not is_stop_word(w))


@dataclass(frozen=True, slots=True, kw_only=True)
class Terms:
    """A typed query: the words that must all be in an article."""

    words: tuple[str, ...]
    """Normalised, stop words left out."""
    prefix: bool
    """The last word may be unfinished: it matches words that begin with it."""

    @property
    def empty(self) -> bool:
        return not self.words

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.words)

    def fts5(self) -> str:
        """The FTS5 MATCH expression over the stems (words hold only letters and
        digits, so quoting each is enough)."""
        parts = [f'"{s}"' for s in self.stems]
        if self.prefix:
            parts[-1] += "*"
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """The `to_tsquery` text: PostgreSQL stems each word by the article's
        configuration."""
        parts = list(self.words)
        if self.prefix:
            parts[-1] += ":*"
        return " & ".join(parts)


def terms(text: str) -> Terms:
    """The query a person typed. A word followed by a space or punctuation is
    complete; the last one otherwise is matched as a prefix (search as you type)."""
    typed = words(text)
    found = [w for w in typed if not is_stop_word(w)]
    unfinished = text[-1:].isalnum() and not is_stop_word(typed[-1])
    if len(found) > MAX_WORDS:
        return Terms(words=tuple(found[:MAX_WORDS]), prefix=False)
    return Terms(words=tuple(found), prefix=bool(found) and unfinished)


def snippet(text: str, query: Terms, *, size: int = SNIPPET_CHARS) -> Snippet:
    """A piece of `text` (plain, no markup) around the first word the query
    asked for, with those words marked; the beginning when none is there."""
    marks = list(_hits(text, query))
    start = 0
    if marks:
        start = _word_start(text, max(0, marks[0][0] - SNIPPET_LEAD))
    end = _word_end(text, min(len(text), start + size))
    segments: list[Segment] = []
    at = start
    for first, last in marks:
        if first < start or last > end:
            continue
        if first > at:
            segments.append(Segment(text=text[at:first]))
        segments.append(Segment(text=text[first:last], hit=True))
        at = last
    if at < end:
        segments.append(Segment(text=text[at:end]))
    return Snippet(
        segments=tuple(segments), cut_before=start > 0, cut_after=end < len(text)
    )


def _hits(text: str, query: Terms) -> Iterator[tuple[int, int]]:
    if query.empty:
        return
    wanted = set(query.stems)
    partial = query.words[-1] if query.prefix else None
    partial_stem = query.stems[-1] if query.prefix else None
    for match in _WORD.finditer(text):
        word = normal(match.group())
        found = stem(word)
        if found in wanted or (
            partial is not None
            and partial_stem is not None
            and (word.startswith(partial) or found.startswith(partial_stem))
        ):
            yield match.start(), match.end()


def _word_start(text: str, at: int) -> int:
    """`at` moved forward to the start of a word (never into one)."""
    if at == 0 or not text[at - 1].isalnum():
        return at
    space = text.find(" ", at)
    return at if space == -1 else space + 1


def _word_end(text: str, at: int) -> int:
    if at >= len(text) or not text[at].isalnum():
        return at
    space = text.rfind(" ", 0, at)
    return at if space == -1 else space
