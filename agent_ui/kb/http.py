"""What the knowledge base's page handlers share: the service on the app, the
posted form read as fields with their values, the way back after a change."""

from __future__ import annotations

from aiohttp import web

from agent_ui.kb.forms import Posted
from crm_core.kb.service import KnowledgeBase

KNOWLEDGE: web.AppKey[KnowledgeBase] = web.AppKey("agent_ui_kb", KnowledgeBase)


async def read_form(request: web.Request) -> Posted:
    form = await request.post()
    fields: dict[str, list[str]] = {}
    for name, value in form.items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    return Posted(fields=fields)


def done(path: str, what: str) -> web.HTTPSeeOther:
    """Back to `path`, which then says `what` was done (`views.DONE`)."""
    return web.HTTPSeeOther(f"{path}?done={what}")
