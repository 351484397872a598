"""What the knowledge base's templates show, from the service's answers: hits
with their snippets, an article's formatted body and history, the list with its
pages, the article form with its problems in words. Texts are catalogue message
ids or the articles' own words; codes and ids never reach a person. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from agent_ui import labels
from agent_ui.kb.forms import ARTICLE_FIELDS, PAGE_SIZE, ListFilter, Posted
from agent_ui.labels import N_
from agent_ui.language import LANGUAGE_NAMES
from crm_core.errors import FieldError
from crm_core.kb.markup import blocks
from crm_core.kb.model import (
    BODY_MAX,
    Article,
    ArticleStatus,
    Category,
    Found,
    Hit,
    Language,
    TopicChoice,
    Version,
)

View = dict[str, Any]

STATUSES = {"draft": N_("Draft"), "published": N_("Published")}
CHANGES = {
    "created": N_("Written"),
    "edited": N_("Edited"),
    "published": N_("Published"),
    "unpublished": N_("Taken back to draft"),
}
DONE = {
    "created": N_("The article is saved as a draft. Publish it for agents to see."),
    "saved": N_("The article is saved."),
    "published": N_("The article is published: agents find it now."),
    "unpublished": N_("The article is a draft again: agents no longer see it."),
    "deleted": N_("The article is deleted."),
    "category_added": N_("The category is added."),
    "category_saved": N_("The category is saved."),
    "category_deleted": N_("The category is deleted; its articles stay."),
}
"""What a finished change says on the page it leads to (`?done=`)."""
CHANGED_MEANWHILE = N_(
    "%(who)s saved this article at %(when)s, while you were editing it. Your text "
    "is below: compare it with theirs (open the article in another tab) and save "
    "again to replace theirs."
)
DELETE_ARTICLE = N_(
    "Delete the article “%(name)s”? Its versions go with it; this cannot be undone."
)
DELETE_CATEGORY = N_(
    "Delete the category “%(name)s”? Its articles stay, without a category."
)
NAME_A_CATEGORY = N_("Give the category a name in at least one language.")
FORMATTING = N_(
    "Formatting: a line starting with “# ” is a heading, “- ” a list item, "
    "“1. ” a step; **bold**; web addresses become links."
)


def when(moment: datetime | None) -> str:
    """A moment as people read it (UTC, to the minute)."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def category_names(categories: Iterable[Category], language: str) -> dict[str, str]:
    """Each category's name in `language`, by id."""
    return {str(c.id): c.name(language) for c in categories}


def category_choices(
    categories: Iterable[Category], language: str
) -> list[tuple[str, str]]:
    return sorted(
        category_names(categories, language).items(), key=lambda c: c[1].casefold()
    )


def language_choices() -> list[tuple[str, str]]:
    return [(code.value, LANGUAGE_NAMES[code.value]) for code in Language]


def status_choices() -> list[tuple[str, str]]:
    return [(s.value, STATUSES[s.value]) for s in ArticleStatus]


def done_message(code: str) -> str | None:
    return DONE.get(code)


def body_view(body: str) -> list[View]:
    """The body's blocks, each line as spans (text, bold, link)."""
    return [
        {
            "kind": block.kind.value,
            "lines": [
                [{"text": s.text, "bold": s.bold, "href": s.href} for s in line]
                for line in block.lines
            ],
        }
        for block in blocks(body)
    ]


def hit_view(hit: Hit, categories: Mapping[str, str]) -> View:
    article = hit.article
    return {
        **_summary(article, categories),
        "on_topic": hit.on_topic,
        "snippet": [{"text": s.text, "hit": s.hit} for s in hit.snippet.segments],
        "cut_before": hit.snippet.cut_before,
        "cut_after": hit.snippet.cut_after,
    }


def article_view(
    article: Article, categories: Mapping[str, str], topics: Sequence[TopicChoice]
) -> View:
    names = {t.code: t.name for t in topics}
    return {
        **_summary(article, categories),
        "body": body_view(article.body),
        "topics": [
            names.get(code, labels.readable(code)) for code in article.topic_codes
        ],
        "created": when(article.created_at),
        "created_by": article.created_by,
        "published_at": when(article.published_at),
        "version": article.version,
    }


def versions_view(versions: Sequence[Version]) -> list[View]:
    return [
        {
            "version": v.version,
            "change": CHANGES[v.change.value],
            "when": when(v.changed_at),
            "who": v.changed_by,
            "title": v.title,
        }
        for v in versions
    ]


def list_view(found: Found, asked: ListFilter, categories: Mapping[str, str]) -> View:
    """One page of the list, with where the pages around it are."""
    pages = max(1, -(-found.total // PAGE_SIZE))
    page = min(asked.page, pages)
    first = (page - 1) * PAGE_SIZE
    return {
        "hits": [hit_view(h, categories) for h in found.hits],
        "total": found.total,
        "page": page,
        "pages": pages,
        "first": first + 1 if found.hits else 0,
        "last": first + len(found.hits),
        "previous": asked.link(page - 1) if page > 1 else None,
        "next": asked.link(page + 1) if page < pages else None,
        "searched": bool(asked.text.strip()),
    }


def form_view(
    posted: Posted | None,
    *,
    article: Article | None = None,
    errors: Sequence[FieldError] = (),
) -> View:
    """The article form: what was typed (else the article, else a blank one),
    and each field's problem in words."""
    if posted is not None:
        values = {
            "title": posted.one("title"), "body": posted.one("body"),
            "language": posted.one("language") or Language.EN.value,
            "category_id": posted.one("category_id"),
            "topic_codes": set(posted.all("topic_codes")),
            "version": posted.one("version"),
        }  # fmt: skip
    elif article is not None:
        values = {
            "title": article.title, "body": article.body,
            "language": article.language.value,
            "category_id": str(article.category_id or ""),
            "topic_codes": set(article.topic_codes), "version": str(article.version),
        }  # fmt: skip
    else:
        values = {
            "title": "", "body": "", "language": Language.EN.value, "category_id": "",
            "topic_codes": set(), "version": "",
        }  # fmt: skip
    problems: dict[str, str | None] = dict.fromkeys(ARTICLE_FIELDS)
    for error in errors:
        problems[error.field] = problems.get(error.field) or labels.field_problem(
            error.message
        )
    return {
        "values": values, "errors": problems, "refused": bool(errors),
        "body_max": BODY_MAX,
    }  # fmt: skip


def category_problem(errors: Sequence[FieldError]) -> str | None:
    """Why a category was not saved, in words."""
    if not errors:
        return None
    if errors[0].message == "is required":
        return NAME_A_CATEGORY
    return labels.field_problem(errors[0].message)


def category_rows(categories: Iterable[Category], language: str) -> list[View]:
    """The categories page's rows, by name in `language`."""
    rows = [
        {"id": str(c.id), "name": c.name(language), "name_en": c.name_en,
         "name_ru": c.name_ru, "articles": c.articles}
        for c in categories
    ]  # fmt: skip
    return sorted(rows, key=lambda r: str(r["name"]).casefold())


def _summary(article: Article, categories: Mapping[str, str]) -> View:
    category = str(article.category_id or "")
    return {
        "id": str(article.id),
        "title": article.title,
        "category": categories.get(category, ""),
        "language": LANGUAGE_NAMES[article.language.value],
        "language_code": article.language.value,
        "status": article.status.value,
        "status_label": STATUSES[article.status.value],
        "updated": when(article.updated_at),
        "updated_by": article.updated_by,
    }
