"""The knowledge base's page forms read into the models the service validates
with (`crm_core.kb.inputs`), so a field checked on change gets the answer the
save would give; and what the list page's filters ask for. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from crm_core.customers.inputs import parse
from crm_core.errors import FieldError, ValidationFailed
from crm_core.kb.inputs import ArticleChange, ArticleInput, CategoryInput
from crm_core.kb.model import (
    QUERY_MAX,
    ArticleQuery,
    ArticleStatus,
    CategoryId,
    Language,
)

M = TypeVar("M", ArticleInput, ArticleChange, CategoryInput)
PAGE_SIZE = 20
ARTICLE_FIELDS = ("title", "body", "language", "category_id", "topic_codes")


@dataclass(frozen=True, slots=True, kw_only=True)
class Posted:
    """A posted form: each field's values (checkboxes give several)."""

    fields: Mapping[str, Sequence[str]]

    def one(self, name: str) -> str:
        values = self.fields.get(name, ())
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return [v for v in self.fields.get(name, ()) if v]


def article_data(posted: Posted) -> dict[str, object]:
    """The article form as the model's fields (an empty category is none)."""
    return {
        "title": posted.one("title"),
        "body": posted.one("body"),
        "language": posted.one("language") or Language.EN.value,
        "category_id": posted.one("category_id") or None,
        "topic_codes": posted.all("topic_codes"),
    }


def article_input(posted: Posted) -> ArticleInput:
    """ValidationFailed names each bad field as the form names it."""
    return _parsed(ArticleInput, article_data(posted))


def article_change(posted: Posted) -> ArticleChange:
    data = {**article_data(posted), "version": posted.one("version") or "0"}
    return _parsed(ArticleChange, data)


def category_input(posted: Posted) -> CategoryInput:
    data = {"name_en": posted.one("name_en"), "name_ru": posted.one("name_ru")}
    return _parsed(CategoryInput, data)


def article_problems(posted: Posted) -> list[FieldError]:
    """Every problem of the article form, named by form field."""
    try:
        article_input(posted)
    except ValidationFailed as failed:
        return list(failed.errors)
    return []


def _parsed(model: type[M], data: Mapping[str, object]) -> M:
    try:
        return parse(model, data)
    except ValidationFailed as failed:
        raise ValidationFailed([_form_field(e) for e in failed.errors]) from None


def _form_field(error: FieldError) -> FieldError:
    """`topic_codes[2]` is the form's `topic_codes`."""
    return FieldError(error.field.split("[")[0].split(".")[0], error.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilter:
    """What the list page asks for: words, category, status, language, page."""

    text: str = ""
    category: str = ""
    status: str = ""
    language: str = ""
    page: int = 1

    @classmethod
    def of(cls, query: Mapping[str, str]) -> ListFilter:
        page = query.get("page", "1")
        return cls(
            text=query.get("q", "")[:QUERY_MAX],
            category=_known_uuid(query.get("category", "")),
            status=_among(query.get("status", ""), ArticleStatus),
            language=_among(query.get("language", ""), Language),
            page=int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1,
        )  # fmt: skip

    def query(self) -> ArticleQuery:
        return ArticleQuery(
            text=self.text,
            category_id=CategoryId(uuid.UUID(self.category)) if self.category else None,
            status=ArticleStatus(self.status) if self.status else None,
            language=Language(self.language) if self.language else None,
            offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
        )  # fmt: skip

    def link(self, page: int) -> str:
        """The list's address for `page` with the same filters."""
        asked = {
            "q": self.text, "category": self.category, "status": self.status,
            "language": self.language, "page": str(page) if page > 1 else "",
        }  # fmt: skip
        kept = urlencode({k: v for k, v in asked.items() if v})
        return "/kb" + ("?" + kept if kept else "")


def _known_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text)) if text else ""
    except ValueError:
        return ""


def _among(text: str, codes: type[ArticleStatus] | type[Language]) -> str:
    return text if text in {c.value for c in codes} else ""
