"""Customers, leads, identification and contacts through the API."""

from __future__ import annotations

from typing import Any

from tests.integration.crm_core.api.conftest import Api


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _create(
    api: Api, card: dict[str, Any], path: str = "/api/v1/customers"
) -> Any:
    response = await api.client.post(path, json=card, headers=_as(api.agent_token))
    assert response.status == 201, await response.text()
    return await response.json()


async def test_customer_is_found_by_any_phone_form_when_created(api: Api) -> None:
    made = await _create(
        api, {"name": "Ivan Petrov", "phones": [{"number": "8 (495) 123-45-67"}],
              "balance": "12.50"},
    )  # fmt: skip
    assert made["balance"] == "12.50"
    response = await api.client.get(
        "/api/v1/identify", params={"ani": "+7 495 1234567"},
        headers=_as(api.agent_token),
    )  # fmt: skip
    found = await response.json()
    assert found["result"] == "identified"
    assert found["customer"]["id"] == made["id"]
    search = await api.client.get(
        "/api/v1/customers", params={"text": "petr"}, headers=_as(api.agent_token)
    )
    assert [c["name"] for c in (await search.json())["items"]] == ["Ivan Petrov"]


async def test_identify_says_unknown_when_no_one_has_the_number(api: Api) -> None:
    response = await api.client.get(
        "/api/v1/identify", params={"ani": "anonymous"}, headers=_as(api.agent_token)
    )
    assert (await response.json()) == {
        "result": "unknown", "customer": None, "candidates": []
    }  # fmt: skip


async def test_bad_phone_is_named_when_the_card_is_refused(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/customers",
        json={"name": "X", "phones": [{"number": "12"}]},
        headers=_as(api.agent_token),
    )
    assert response.status == 422
    body = await response.json()
    assert [d["field"] for d in body["details"]] == ["phones[0].number"]


async def test_edit_and_convert_keep_the_card_when_a_lead_becomes_customer(
    api: Api,
) -> None:
    lead = await _create(api, {"name": "Olga"}, "/api/v1/leads")
    assert lead["is_lead"] is True
    edited = await api.client.patch(
        f"/api/v1/customers/{lead['id']}", json={"city": "Tver"},
        headers=_as(api.agent_token),
    )  # fmt: skip
    assert (await edited.json())["city"] == "Tver"
    converted = await api.client.post(
        f"/api/v1/leads/{lead['id']}/convert", json={"account": "A-100"},
        headers=_as(api.agent_token),
    )  # fmt: skip
    card = await converted.json()
    assert (card["id"], card["is_lead"], card["account"]) == (
        lead["id"],
        False,
        "A-100",
    )
    again = await api.client.post(
        f"/api/v1/leads/{lead['id']}/convert", json={}, headers=_as(api.agent_token)
    )
    assert again.status == 409


async def test_contact_history_lists_contacts_when_registered_through_the_api(
    api: Api,
) -> None:
    customer = await _create(api, {"name": "Pavel"})
    for channel in ("email", "web"):
        response = await api.client.post(
            "/api/v1/contacts",
            json={"channel": channel, "customer_id": customer["id"]},
            headers=_as(api.agent_token),
        )
        assert response.status == 201, await response.text()
    history = await api.client.get(
        f"/api/v1/customers/{customer['id']}/contacts?limit=1",
        headers=_as(api.agent_token),
    )
    first = await history.json()
    assert len(first["items"]) == 1
    assert first["next"] is not None
    rest = await api.client.get(
        f"/api/v1/customers/{customer['id']}/contacts?limit=1&after={first['next']}",
        headers=_as(api.agent_token),
    )
    second = await rest.json()
    channels = {first["items"][0]["channel"], second["items"][0]["channel"]}
    assert channels == {"email", "web"}


async def test_missing_customer_is_404_when_fetched(api: Api) -> None:
    response = await api.client.get(
        "/api/v1/customers/00000000-0000-0000-0000-000000000009",
        headers=_as(api.agent_token),
    )
    assert response.status == 404
    assert (await response.json())["error_id"] == "customer_not_found"
