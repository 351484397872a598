"""Topic, attribute, dictionary, route and contact template administration over HTTP."""

from __future__ import annotations

from typing import Any

from tests.integration.crm_core.api.conftest import Api
from tests.integration.crm_core.api.demo import bearer


async def _topic(api: Api, **body: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/api/v1/topics", json=body, headers=bearer(api.admin_token)
    )
    assert response.status == 201, await response.text()
    found: dict[str, Any] = await response.json()
    return found


def _stage(code: str, *, to: str | None = None, **extra: Any) -> dict[str, Any]:
    stage: dict[str, Any] = {
        "code": code, "name": code.title(), "queues": [{"name": "front"}],
        "transitions": [] if to is None else [{"name": f"to_{to}", "to_stage": to}],
        **extra,
    }  # fmt: skip
    return stage


async def test_topic_is_created_under_a_group_when_the_admin_asks(api: Api) -> None:
    group = await _topic(api, code="tv", name="Television", is_group=True)
    topic = await _topic(api, code="no_signal", name="No signal", parent_id=group["id"])
    assert topic["parent_id"] == group["id"]
    tree = await api.client.get("/api/v1/topics", headers=bearer(api.agent_token))
    assert {t["code"] for t in await tree.json()} == {"tv", "no_signal"}
    again = await api.client.post(
        "/api/v1/topics", json={"code": "tv", "name": "Again"},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert again.status == 409
    under_topic = await api.client.post(
        "/api/v1/topics",
        json={"code": "x", "name": "X", "parent_id": topic["id"]},
        headers=bearer(api.admin_token),
    )
    assert under_topic.status == 422
    assert (await under_topic.json())["details"][0]["field"] == "parent_id"


async def test_topic_creation_is_refused_when_the_agent_lacks_topic_admin(
    api: Api,
) -> None:
    response = await api.client.post(
        "/api/v1/topics", json={"code": "tv", "name": "TV"},
        headers=bearer(api.agent_token),
    )  # fmt: skip
    assert response.status == 403


async def test_attribute_is_declared_with_typed_default_when_valid(api: Api) -> None:
    topic = await _topic(api, code="tv", name="Television")
    url = f"/api/v1/topics/{topic['id']}/attributes"
    speed = {"label": "Speed", "kind": "decimal", "default_value": "99.5",
             "required_when": "Appeal.Attr.Speed > 10"}  # fmt: skip
    declared = await api.client.put(
        f"{url}/Speed", json=speed, headers=bearer(api.admin_token)
    )
    assert declared.status == 200, await declared.text()
    assert (await declared.json())["default_value"] == "99.5"
    listed = await (await api.client.get(url, headers=bearer(api.agent_token))).json()
    assert [(a["code"], a["kind"], a["default_value"]) for a in listed] == [
        ("Speed", "decimal", "99.5")
    ]


async def test_attribute_is_refused_naming_the_field_when_its_rule_or_default_is_bad(
    api: Api,
) -> None:
    topic = await _topic(api, code="tv", name="Television")
    url = f"/api/v1/topics/{topic['id']}/attributes"
    bad_rule = {"label": "Since", "kind": "date", "required_when": "Appeal.Attr.X >"}
    response = await api.client.put(
        f"{url}/Since", json=bad_rule, headers=bearer(api.admin_token)
    )
    assert response.status == 422
    detail = (await response.json())["details"][0]
    assert detail["field"] == "required_when"
    assert detail["message"].startswith("1:")
    bad_default = {"label": "Since", "kind": "date", "default_value": "soon"}
    response = await api.client.put(
        f"{url}/Since", json=bad_default, headers=bearer(api.admin_token)
    )
    assert response.status == 422
    assert (await response.json())["details"][0]["field"] == "default_value"
    no_dictionary = {"label": "Plan", "kind": "dictionary", "dictionary_code": "none"}
    response = await api.client.put(
        f"{url}/Plan", json=no_dictionary, headers=bearer(api.admin_token)
    )
    assert {d["field"] for d in (await response.json())["details"]} == {
        "dictionary_code"
    }
    listed = await (await api.client.get(url, headers=bearer(api.agent_token))).json()
    assert listed == []


async def test_dictionary_attribute_is_accepted_when_the_dictionary_is_defined(
    api: Api,
) -> None:
    topic = await _topic(api, code="tv", name="Television")
    items = [{"code": "basic", "label": "Basic"}, {"code": "old", "label": "Old",
                                                   "active": False}]  # fmt: skip
    defined = await api.client.put(
        "/api/v1/dictionaries/packages", json={"name": "Packages", "items": items},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert defined.status == 200, await defined.text()
    plan = {"label": "Package", "kind": "dictionary", "dictionary_code": "packages"}
    declared = await api.client.put(
        f"/api/v1/topics/{topic['id']}/attributes/Package", json=plan,
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert declared.status == 200, await declared.text()


async def test_route_versions_are_published_when_the_stages_are_valid(
    api: Api,
) -> None:
    topic = await _topic(api, code="tv", name="Television")
    url = f"/api/v1/topics/{topic['id']}"
    missing = await api.client.get(f"{url}/route", headers=bearer(api.agent_token))
    assert missing.status == 404
    body = {"name": "TV", "stages": [_stage("intake", to="repair"),
                                     _stage("repair", closing_allowed=True,
                                            deadline_s=3600)]}  # fmt: skip
    for version in (1, 2):
        published = await api.client.post(
            f"{url}/routes", json=body, headers=bearer(api.admin_token)
        )
        assert published.status == 201, await published.text()
        assert (await published.json())["version"] == version
    current = await (
        await api.client.get(f"{url}/route", headers=bearer(api.agent_token))
    ).json()
    assert current["version"] == 2
    assert [s["code"] for s in current["stages"]] == ["intake", "repair"]
    assert current["stages"][0]["transitions"][0]["to_stage"] == "repair"


async def test_route_is_refused_naming_each_position_when_stages_are_wrong(
    api: Api,
) -> None:
    topic = await _topic(api, code="tv", name="Television")
    stages = [
        _stage("intake", to="nowhere"),
        {**_stage("repair"), "queues": [{"name": "q", "when": "Appeal.Attr.X = "}]},
        _stage("intake"),
    ]
    response = await api.client.post(
        f"/api/v1/topics/{topic['id']}/routes", json={"name": "TV", "stages": stages},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert response.status == 422
    fields = [d["field"] for d in (await response.json())["details"]]
    assert "stages[0].transitions[0].to_stage" in fields
    assert any(f.startswith("stages[1].queues[0]") for f in fields), fields
    assert "stages[2].code" in fields
    current = await api.client.get(
        f"/api/v1/topics/{topic['id']}/route", headers=bearer(api.admin_token)
    )
    assert current.status == 404


async def test_route_publishing_is_refused_when_the_agent_lacks_route_admin(
    api: Api,
) -> None:
    topic = await _topic(api, code="tv", name="Television")
    response = await api.client.post(
        f"/api/v1/topics/{topic['id']}/routes",
        json={"name": "TV", "stages": [_stage("intake")]},
        headers=bearer(api.agent_token),
    )
    assert response.status == 403


async def test_contact_template_is_kept_when_the_operator_sets_their_own(
    api: Api,
) -> None:
    topic = await _topic(api, code="tv", name="Television")
    url = f"/api/v1/users/{api.agent_id}/contact-template"
    empty = await (await api.client.get(url, headers=bearer(api.agent_token))).json()
    assert empty["default_topic_id"] is None
    template = {"place": "Desk 4", "channel": "phone", "default_topic_id": topic["id"],
                "allowed_topic_ids": [topic["id"]]}  # fmt: skip
    saved = await api.client.put(url, json=template, headers=bearer(api.agent_token))
    assert saved.status == 200, await saved.text()
    read = await (await api.client.get(url, headers=bearer(api.admin_token))).json()
    assert (read["place"], read["default_topic_id"]) == ("Desk 4", topic["id"])
    assert read["allowed_topic_ids"] == [topic["id"]]


async def test_contact_template_is_refused_when_it_is_someone_elses(api: Api) -> None:
    url = f"/api/v1/users/{api.admin_id}/contact-template"
    read = await api.client.get(url, headers=bearer(api.agent_token))
    assert read.status == 403
    write = await api.client.put(
        url, json={"place": "x"}, headers=bearer(api.agent_token)
    )
    assert write.status == 403
