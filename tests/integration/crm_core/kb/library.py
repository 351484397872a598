"""A small knowledge base for tests: the service over a migrated database, the
demo's appeal topics, an editor (supervisor) and a reader (agent)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.auth.model import Role
from crm_core.db import Sessions
from crm_core.kb.inputs import ArticleInput
from crm_core.kb.model import Article, Language
from crm_core.kb.service import KnowledgeBase
from tests.fakes import FakeClock
from tests.integration.crm_core.appeals.world import actor

AGENT = actor("anna", Role.AGENT, 1)
EDITOR = actor("vera", Role.SUPERVISOR, 3)
ADMIN = actor("ivan", Role.ADMINISTRATOR, 4)


@dataclass
class Library:
    kb: KnowledgeBase
    clock: FakeClock
    sessions: Sessions

    async def article(
        self,
        title: str,
        body: str,
        *,
        language: Language = Language.EN,
        topics: tuple[str, ...] = (),
        published: bool = True,
    ) -> Article:
        made = await self.kb.create(
            EDITOR,
            ArticleInput(
                title=title, body=body, language=language, topic_codes=list(topics)
            ),
        )
        if published:
            made = await self.kb.publish(EDITOR, made.id)
        self.clock.advance(60)
        return made


async def library(sessions: Sessions) -> Library:
    """The demo topics (complaint, termination...) and an empty knowledge base."""
    clock = FakeClock()
    await seed_appeals(sessions, clock, DemoStaff())
    return Library(kb=KnowledgeBase(sessions, clock), clock=clock, sessions=sessions)
