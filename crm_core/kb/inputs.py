"""What a person writes in the knowledge base, as the models that validate it: the
API's bodies and the editing pages' forms are both these, so a field gets the same
answer in both. `parse` (crm_core.customers.inputs) turns errors into
ValidationFailed, one FieldError per field."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_core.kb.model import (
    BODY_MAX,
    CATEGORY_NAME_MAX,
    TITLE_MAX,
    TOPICS_MAX,
    Language,
)

TopicCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ArticleInput(_Input):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(
        min_length=1, max_length=BODY_MAX,
        description="plain text: '# ' headings, '- ' lists, '1. ' steps, **bold**",
    )  # fmt: skip
    language: Language = Language.EN
    category_id: uuid.UUID | None = None
    topic_codes: list[TopicCode] = Field(
        default_factory=list, max_length=TOPICS_MAX,
        description="appeal topics whose agents see the article first",
    )  # fmt: skip


class ArticleChange(ArticleInput):
    version: int = Field(
        ge=1, description="the version edited; another change since is refused"
    )


class CategoryInput(_Input):
    name_en: str = Field(default="", max_length=CATEGORY_NAME_MAX)
    name_ru: str = Field(default="", max_length=CATEGORY_NAME_MAX)
