"""Webhook subscriptions and the delivery log through the API."""

from __future__ import annotations

import pytest

from crm_core.webhooks.dispatcher import WebhookDispatcher
from crm_core.webhooks.http import AiohttpSender
from crm_core.webhooks.model import WebhookKind
from tests.integration.crm_core.api.conftest import LOOPBACK_RECEIVERS, Api


async def test_subscription_secret_is_shown_once_when_created(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.admin_token}"}
    created = await api.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "kinds": ["appeal.created"]},
        headers=headers,
    )
    assert created.status == 201, await created.text()
    assert len((await created.json())["secret"]) >= 32
    listed = await (await api.client.get("/api/v1/webhooks", headers=headers)).json()
    assert [s["kinds"] for s in listed] == [["appeal.created"]]
    assert all("secret" not in s for s in listed)


async def test_subscription_is_refused_when_url_or_kind_is_bad(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.admin_token}"}
    response = await api.client.post(
        "/api/v1/webhooks",
        json={"url": "ftp://example.org/x", "kinds": ["appeal.eaten"]},
        headers=headers,
    )
    assert response.status == 422
    fields = {d["field"] for d in (await response.json())["details"]}
    assert fields == {"kinds[0]"}
    response = await api.client.post(
        "/api/v1/webhooks",
        json={"url": "ftp://example.org/x", "kinds": ["appeal.created"]},
        headers=headers,
    )
    assert [d["field"] for d in (await response.json())["details"]] == ["url"]


async def test_delivery_log_shows_attempts_when_the_receiver_is_down(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.admin_token}"}
    created = await api.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "kinds": ["contact.opened"]},
        headers=headers,
    )
    subscription = (await created.json())["id"]
    sender = AiohttpSender(LOOPBACK_RECEIVERS)
    try:
        dispatcher = WebhookDispatcher(api.sessions, api.clock, sender)
        await dispatcher.notify(WebhookKind.CONTACT_OPENED, {"contact": "c1"})
        await dispatcher.run_once()
    finally:
        await sender.close()
    log = await api.client.get(
        f"/api/v1/webhooks/{subscription}/deliveries", headers=headers
    )
    [delivery] = (await log.json())["items"]
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 1
    tries = await api.client.get(
        f"/api/v1/webhook-deliveries/{delivery['id']}/attempts", headers=headers
    )
    [attempt] = await tries.json()
    assert attempt["status"] is None
    assert attempt["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5:8080/hook",
        "http://[::ffff:192.168.1.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0:8080/hook",
        "http://unresolvable.invalid/hook",
    ],
)
async def test_subscription_is_refused_when_the_url_targets_an_internal_address(
    api: Api, url: str
) -> None:
    headers = {"Authorization": f"Bearer {api.admin_token}"}
    response = await api.client.post(
        "/api/v1/webhooks", json={"url": url, "kinds": ["appeal.created"]},
        headers=headers,
    )  # fmt: skip
    assert response.status == 422
    [detail] = (await response.json())["details"]
    assert detail["field"] == "url"
    listed = await (await api.client.get("/api/v1/webhooks", headers=headers)).json()
    assert listed == []
