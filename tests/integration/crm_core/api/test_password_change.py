"""Changing one's own password over HTTP: the asking browser stays signed in, the
user's other sessions and API tokens stop working at once."""

from __future__ import annotations

import aiohttp

from tests.integration.crm_core.api.conftest import PASSWORD, Api
from tests.integration.crm_core.api.demo import bearer

NEW = "a new horse battery"


async def test_own_password_change_signs_out_elsewhere_when_made(api: Api) -> None:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as other:  # another browser
        response = await other.post(
            api.client.make_url("/api/v1/auth/login"),
            json={"login": "anna", "password": PASSWORD},
        )
        assert response.status == 200
        csrf = await api.sign_in("anna")
        changed = await api.client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW},
            headers={"X-CSRF-Token": csrf},
        )
        assert changed.status == 200, await changed.text()
        assert (await api.client.get("/api/v1/auth/me")).status == 200
        elsewhere = await other.get(api.client.make_url("/api/v1/auth/me"))
        assert elsewhere.status == 401
        by_token = await api.client.get(
            "/api/v1/auth/me", headers=bearer(api.agent_token)
        )
        assert by_token.status == 401


async def test_password_change_is_refused_when_the_current_one_is_wrong(
    api: Api,
) -> None:
    csrf = await api.sign_in("anna")
    refused = await api.client.post(
        "/api/v1/auth/password",
        json={"current_password": "not the one!", "new_password": NEW},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status == 422
    assert [d["field"] for d in (await refused.json())["details"]] == [
        "current_password"
    ]
    still = await api.client.get("/api/v1/auth/me", headers=bearer(api.agent_token))
    assert still.status == 200
    assert (await api.client.get("/api/v1/auth/me")).status == 200
