"""Topics for appeals that calls leave behind: voicemail and failed callbacks. Each
is a top-level topic with a one-stage route to a call-back queue. Idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from crm_core.appeals.model import Queue, Stage, Topic
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import system_actor
from crm_core.clock import Clock
from crm_core.db import Sessions

VOICEMAIL_TOPIC = "voicemail"
CALLBACK_FAILED_TOPIC = "callback_failed"
DAY_S = 86_400


async def seed_voicemail_topic(
    sessions: Sessions,
    clock: Clock,
    *,
    members: Collection[uuid.UUID] = (),
    code: str = VOICEMAIL_TOPIC,
) -> Topic:
    """The topic `code` with a published route, created if absent."""
    return await _seed_call_back_topic(
        sessions, clock, code=code, name="Voicemail", members=members
    )


async def seed_callback_failed_topic(
    sessions: Sessions,
    clock: Clock,
    *,
    members: Collection[uuid.UUID] = (),
    code: str = CALLBACK_FAILED_TOPIC,
) -> Topic:
    """The topic for callbacks the ACD gave up on (A5), created if absent."""
    return await _seed_call_back_topic(
        sessions, clock, code=code, name="Failed callback", members=members
    )


async def _seed_call_back_topic(
    sessions: Sessions,
    clock: Clock,
    *,
    code: str,
    name: str,
    members: Collection[uuid.UUID],
) -> Topic:
    topics = TopicService(sessions, clock)
    actor = system_actor()
    existing = {t.code: t for t in await topics.tree(actor)}
    topic = existing.get(code) or await topics.create_topic(actor, code=code, name=name)
    if await topics.current_route(actor, topic.id) is None:
        stage = Stage(
            code="call_back", name="Call back",
            queues=(Queue(name="front", members=frozenset(members)),),
            deadline_s=DAY_S, closing_allowed=True,
        )  # fmt: skip
        await topics.publish_route(actor, topic.id, name=name, stages=(stage,))
    return topic
