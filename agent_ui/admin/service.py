"""The administration's services, bundled for the pages: users (the auth
service), the ACD's queues and seats, and IVR flow publishing."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from acd.administration import AcdAdministration
from crm_core.auth.service import AuthService
from ivr.publishing import FlowPublishing


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminDesk:
    users: AuthService
    acd: AcdAdministration
    flows: FlowPublishing


ADMIN_DESK: web.AppKey[AdminDesk] = web.AppKey("agent_ui_admin_desk", AdminDesk)
