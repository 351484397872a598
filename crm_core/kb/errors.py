"""Knowledge base errors.

CrmError
├── NotFound
│   ├── ArticleNotFound    no such article (or a draft, to a reader)
│   └── CategoryNotFound
└── Conflict
    └── ArticleChanged     someone saved the article since it was opened
"""

from __future__ import annotations

from crm_core.errors import Conflict, NotFound


class ArticleNotFound(NotFound):
    error_id = "article_not_found"


class CategoryNotFound(NotFound):
    error_id = "category_not_found"


class ArticleChanged(Conflict):
    error_id = "article_changed"
