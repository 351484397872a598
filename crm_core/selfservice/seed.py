"""The voicemail topic: a top-level topic with a one-stage route to a call-back
queue, so voicemails from the IVR can become appeals. Idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from crm_core.appeals.model import Queue, Stage, Topic
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import system_actor
from crm_core.clock import Clock
from crm_core.db import Sessions

VOICEMAIL_TOPIC = "voicemail"
DAY_S = 86_400


async def seed_voicemail_topic(
    sessions: Sessions,
    clock: Clock,
    *,
    members: Collection[uuid.UUID] = (),
    code: str = VOICEMAIL_TOPIC,
) -> Topic:
    """The topic `code` with a published route, created if absent."""
    topics = TopicService(sessions, clock)
    actor = system_actor()
    existing = {t.code: t for t in await topics.tree(actor)}
    topic = existing.get(code) or await topics.create_topic(
        actor, code=code, name="Voicemail"
    )
    if await topics.current_route(actor, topic.id) is None:
        stage = Stage(
            code="call_back", name="Call back",
            queues=(Queue(name="front", members=frozenset(members)),),
            deadline_s=DAY_S, closing_allowed=True,
        )  # fmt: skip
        await topics.publish_route(actor, topic.id, name="Voicemail", stages=(stage,))
    return topic
