"""The back office's services, bundled for the pages: the work lists, the
appeal page and customers."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from agent_ui.backoffice.appeal import AppealDesk
from agent_ui.backoffice.customers import CustomerDesk
from agent_ui.backoffice.worklists import Worklists


@dataclass(frozen=True, slots=True, kw_only=True)
class BackOffice:
    worklists: Worklists
    appeals: AppealDesk
    customers: CustomerDesk


BACK_OFFICE: web.AppKey[BackOffice] = web.AppKey("agent_ui_back_office", BackOffice)
