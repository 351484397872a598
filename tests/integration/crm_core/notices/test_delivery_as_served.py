"""Customer notices as `build` wires them from the settings: closing an appeal
e-mails the customer through the configured SMTP server (a real one, aiosmtpd),
while an SMS notice, with no SMS gateway, waits in the outbox saying why, and the
API shows both."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import aiohttp

from contactcentre.bootstrap import App
from crm_core.appeals.events import AppealChanged
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.clock import UtcClock
from crm_core.notices.dispatcher import held_reason
from crm_core.notices.model import NoticeChannel
from tests.integration.crm_core.appeals.world import ANNA
from tests.integration.crm_core.appeals.world import build as build_world
from tests.integration.crm_core.incidents.town import (
    Town,
    build_town,
    complaint_from,
    customer,
)
from tests.integration.crm_core.notices.conftest import Inbox
from tests.integration.service import service_settings, serving
from tests.waiting import eventually


async def _close_complaint(town: Town, app: App, customer_id: uuid.UUID) -> None:
    appeal = await complaint_from(town, customer_id)
    await town.world.appeals.take(ANNA, appeal.id)
    await town.world.appeals.close(ANNA, appeal.id, comment="Refund made")
    for event in town.world.events.of_type(AppealChanged):
        if event.appeal_id == str(appeal.id):
            await app.bus.publish(event)


async def _notices(app: App, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    auth = AuthService(app.sessions, UtcClock())
    admin = await auth.create_user(
        system_actor(),
        NewUser(login=f"a{uuid.uuid4().hex[:6]}", display_name="A",
                role=Role.ADMINISTRATOR),
    )  # fmt: skip
    token = await auth.issue_token(system_actor(), "test", user_id=admin.id)
    url = (
        f"http://127.0.0.1:{app.settings.http.port}"
        f"/api/v1/customers/{customer_id}/notices"
    )
    headers = {"Authorization": f"Bearer {token.secret}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as got:
        assert got.status == 200
        body: dict[str, Any] = await got.json()
    items: list[dict[str, Any]] = body["items"]
    return items


async def test_email_is_sent_and_sms_waits_with_its_reason_when_served(
    database_url: str, tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    box, smtp_port = inbox
    settings = service_settings(
        database_url, tmp_path,
        smtp={"host": "127.0.0.1", "port": smtp_port, "from_address": "cc@ex.org"},
    )  # fmt: skip
    async with serving(settings) as app:
        await _notify_both(app, box)


async def _notify_both(app: App, box: Inbox) -> None:
    town = await build_town(await build_world(app.sessions))
    olga = await customer(town, "Olga", emails=["olga@example.org"],
                          preferred_channels=["email"])  # fmt: skip
    petr = await customer(town, "Petr", phones=[{"number": "+79131112233"}])
    await _close_complaint(town, app, olga)
    await _close_complaint(town, app, petr)

    async def mailed() -> int:
        return len(box.mails)

    await eventually(mailed)
    [(to, mail)] = box.mails
    assert (to, mail["From"]) == (["olga@example.org"], "cc@ex.org")
    assert "Refund made" in mail.get_payload()

    async def sms_held() -> list[dict[str, Any]]:
        found = await _notices(app, petr)
        return found if found and found[0]["last_error"] else []

    [sms] = await eventually(sms_held)
    assert (sms["channel"], sms["status"], sms["attempts"]) == ("sms", "queued", 0)
    assert sms["last_error"] == held_reason(NoticeChannel.SMS)
    [email] = await _notices(app, olga)
    assert (email["status"], email["last_error"]) == ("sent", None)
