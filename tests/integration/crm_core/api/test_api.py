"""The /api/v1 framework over HTTP: authentication, rights, CSRF, errors, OpenAPI."""

from __future__ import annotations

import re
import uuid

from openapi_spec_validator import validate

from crm_core.api.app import declared_routes
from crm_core.auth.throttle import ACCOUNT_RULE
from tests.integration.crm_core.api.conftest import PASSWORD, Api


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_route_refuses_when_no_credentials_are_sent(api: Api) -> None:
    routes = [r for r in declared_routes(api.client.app) if not r.public]
    assert len(routes) >= 10
    refused = []
    for route in routes:
        response = await api.client.request(route.method, _concrete(route.full_path))
        body = await response.json()
        refused.append((route.method, route.path, response.status, body["error_id"]))
    assert all(r[2:] == (401, "unauthenticated") for r in refused), refused


async def test_every_route_refuses_when_the_role_lacks_the_permission(
    api: Api,
) -> None:
    guarded = [r for r in declared_routes(api.client.app) if r.permission is not None]
    assert guarded
    statuses = []
    for route in guarded:
        response = await api.client.request(
            route.method,
            _concrete(route.full_path),
            headers=_bearer(api.powerless_token),
        )
        statuses.append((route.method, route.path, response.status))
    assert all(s[2] == 403 for s in statuses), statuses


async def test_health_login_and_openapi_are_open_when_no_credentials(api: Api) -> None:
    assert (await api.client.get("/healthz")).status == 200
    assert (await api.client.get("/api/v1/openapi.json")).status == 200
    response = await api.client.post(
        "/api/v1/auth/login", json={"login": "anna", "password": "wrong password"}
    )
    assert response.status == 401


async def test_cookie_session_works_when_the_csrf_header_is_sent(api: Api) -> None:
    csrf = await api.sign_in("admin")
    me = await api.client.get("/api/v1/auth/me")
    assert me.status == 200
    assert (await me.json())["actor"]["login"] == "admin"
    new_user = {"login": "vera", "display_name": "Vera", "role": "back_office"}
    refused = await api.client.post("/api/v1/users", json=new_user)
    assert refused.status == 403
    assert (await refused.json())["error_id"] == "csrf_rejected"
    created = await api.client.post(
        "/api/v1/users", json=new_user, headers={"X-CSRF-Token": csrf}
    )
    assert created.status == 201, await created.text()
    assert (await created.json())["role"] == "back_office"


async def test_cookie_is_httponly_and_lax_when_signing_in(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/auth/login", json={"login": "anna", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


async def test_session_is_refused_when_logged_out_or_expired(api: Api) -> None:
    csrf = await api.sign_in("anna")
    out = await api.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status == 204
    assert (await api.client.get("/api/v1/auth/me")).status == 401
    await api.sign_in("anna")
    api.clock.advance(601)
    assert (await api.client.get("/api/v1/auth/me")).status == 401


async def test_login_is_throttled_when_failures_repeat(api: Api) -> None:
    wrong = {"login": "anna", "password": "not the password"}
    for _ in range(ACCOUNT_RULE.free_failures + 1):
        assert (await api.client.post("/api/v1/auth/login", json=wrong)).status == 401
    right = {"login": "anna", "password": PASSWORD}
    response = await api.client.post("/api/v1/auth/login", json=right)
    assert response.status == 429
    assert (await response.json())["error_id"] == "login_throttled"
    assert response.headers["Retry-After"] == "1"
    api.clock.advance(1)
    assert (await api.client.post("/api/v1/auth/login", json=right)).status == 200


async def test_token_authenticates_when_sent_as_bearer(api: Api) -> None:
    response = await api.client.get("/api/v1/auth/me", headers=_bearer(api.agent_token))
    assert (await response.json())["actor"]["login"] == "anna"
    bad = await api.client.get("/api/v1/auth/me", headers=_bearer("forged"))
    assert bad.status == 401
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")


async def test_token_is_shown_once_and_refused_when_revoked(api: Api) -> None:
    headers = _bearer(api.agent_token)
    issued = await api.client.post(
        "/api/v1/tokens", json={"name": "erp"}, headers=headers
    )
    assert issued.status == 201
    body = await issued.json()
    secret = body["token"]
    listed = await (await api.client.get("/api/v1/tokens", headers=headers)).json()
    assert all("token" not in t for t in listed)
    assert (
        await api.client.get("/api/v1/auth/me", headers=_bearer(secret))
    ).status == 200
    revoked = await api.client.delete(f"/api/v1/tokens/{body['id']}", headers=headers)
    assert revoked.status == 200
    assert (
        await api.client.get("/api/v1/auth/me", headers=_bearer(secret))
    ).status == 401


async def test_validation_names_each_field_when_the_body_is_bad(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/users",
        json={"login": "", "role": "emperor", "granted": ["x.y"]},
        headers=_bearer(api.admin_token),
    )
    assert response.status == 422
    body = await response.json()
    assert body["error_id"] == "invalid_input"
    fields = {d["field"] for d in body["details"]}
    assert {"login", "display_name", "role", "granted[0]"} <= fields
    assert all(set(d) == {"field", "message"} for d in body["details"])


async def test_malformed_json_is_refused_when_posted(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/users", data=b"{not json", headers=_bearer(api.admin_token)
    )
    assert response.status == 422
    assert (await response.json())["details"][0]["field"] == "body"


async def test_conflict_and_not_found_map_to_409_and_404(api: Api) -> None:
    headers = _bearer(api.admin_token)
    taken = {"login": "anna", "display_name": "A", "role": "agent"}
    response = await api.client.post("/api/v1/users", json=taken, headers=headers)
    assert response.status == 409
    missing = await api.client.get(f"/api/v1/users/{uuid.uuid4()}", headers=headers)
    assert missing.status == 404
    bad_id = await api.client.get("/api/v1/users/not-a-uuid", headers=headers)
    assert bad_id.status == 422


async def test_users_page_by_cursor_when_limit_is_small(api: Api) -> None:
    headers = _bearer(api.admin_token)
    seen: list[str] = []
    url = "/api/v1/users?limit=2"
    for _ in range(5):
        page = await (await api.client.get(url, headers=headers)).json()
        seen += [u["login"] for u in page["items"]]
        if page["next"] is None:
            break
        url = f"/api/v1/users?limit=2&after={page['next']}"
    assert seen == ["admin", "anna", "nobody"]
    bad = await api.client.get("/api/v1/users?limit=0", headers=headers)
    assert (await bad.json())["details"][0]["field"] == "limit"


async def test_edit_and_deactivate_are_audited_when_done_through_the_api(
    api: Api,
) -> None:
    headers = _bearer(api.admin_token)
    users = await (await api.client.get("/api/v1/users", headers=headers)).json()
    anna = next(u for u in users["items"] if u["login"] == "anna")
    patch = {"granted": ["report.read"], "customer_groups": ["VIP"]}
    edited = await api.client.patch(
        f"/api/v1/users/{anna['id']}", json=patch, headers=headers
    )
    assert (await edited.json())["customer_groups"] == ["VIP"]
    gone = await api.client.delete(f"/api/v1/users/{anna['id']}", headers=headers)
    assert (await gone.json())["active"] is False
    me = await api.client.get("/api/v1/auth/me", headers=_bearer(api.agent_token))
    assert me.status == 401
    audit = await api.client.get("/api/v1/audit?action=user.edit", headers=headers)
    entries = (await audit.json())["items"]
    assert [e["object_id"] for e in entries] == [anna["id"]] * 2


async def test_openapi_document_is_valid_when_every_route_is_declared(
    api: Api,
) -> None:
    document = await (await api.client.get("/api/v1/openapi.json")).json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert "bearer" in document["components"]["securitySchemes"]
    users = document["paths"]["/api/v1/users"]["post"]
    assert "user.admin" in users["description"]
    assert "requestBody" in users
    assert document["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert len(document["paths"]) == len(
        {r.full_path for r in declared_routes(api.client.app)}
    )
