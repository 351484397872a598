"""The agent desk's call controls against the simulator as the PBX: hold moves the
caller to music and resume bridges them back (the call log counts the hold), a
number on the card is called from the agent's own phone, and a form with bad
values is refused field by field with nothing saved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd.model import AgentState
from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.clock import UtcClock
from crm_core.customers.model import Contact
from crm_core.customers.seed import demo_phone_numbers
from tests.integration.agent_ui.site import Site, Visitor, running_site
from tests.integration.spine import ANNA, PHONES
from tests.integration.test_spine import waiting_caller


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(database_url, tmp_path) as running:
        yield running


async def on_a_call(site: Site, anna: Visitor, number: str) -> str:
    await anna.post("/agent/state/log-in")
    _, call = await site.spine.call(waiting_caller(number, patience_s=None, talk_s=600))
    await site.spine.until_state(ANNA, AgentState.ON_CALL)
    return call


def actions(site: Site, name: str) -> list[dict[str, str]]:
    return [
        dict(a.fields)
        for a in site.spine.sim.actions
        if a.fields.get("Action", "").lower() == name.lower()
    ]


async def test_caller_is_held_to_music_and_talked_to_again_when_resumed(
    site: Site,
) -> None:
    async with site.visitor("anna") as anna:
        call = await on_a_call(site, anna, demo_phone_numbers(30)[4])
        held = await anna.post("/agent/call/hold")
        assert held.status == 200
        assert 'id="btn-resume"' in held.text
        assert "On hold" in held.text
        [redirect] = actions(site, "Redirect")
        assert (redirect["Context"], redirect["Exten"]) == ("cc-hold", "s")
        assert redirect["ExtraContext"] == "cc-held"

        refused = await anna.post("/agent/call/hang-up")
        assert refused.status == 409
        assert "off hold first" in refused.text

        resumed = await anna.post("/agent/call/resume")
        assert 'id="btn-hold"' in resumed.text
        [bridge] = actions(site, "Bridge")
        assert (bridge["Channel1"], bridge["Channel2"]) == (
            redirect["ExtraChannel"],
            redirect["Channel"],
        )
        assert site.spine.app.acd.agent(ANNA).state is AgentState.ON_CALL

        await anna.post("/agent/call/hang-up")

    def counted(contact: Contact) -> bool:
        return contact.hold_s is not None and contact.hold_s > 0

    contact = await site.spine.settled(call, counted)
    assert contact.talk_s is not None
    assert contact.talk_s > 0


async def test_card_number_is_called_from_the_agents_phone_when_asked(
    site: Site,
) -> None:
    async with site.visitor("anna") as anna:
        await anna.post("/agent/state/log-in")
        answer = await anna.post("/agent/dial", {"number": "+7 (495) 111-22-33"})
        assert answer.status == 200
        assert "the number is being called" in answer.text
    [originate] = actions(site, "Originate")
    assert originate["Channel"] == f"Local/{PHONES[ANNA]}@cc-agent"
    assert (originate["Context"], originate["Exten"]) == ("cc-outbound", "+74951112233")
    view = site.spine.app.acd.agent(ANNA)
    assert (view.state, view.reason) == (AgentState.PAUSED, "outbound_call")


async def test_bad_number_is_refused_in_words_when_the_agent_dials_it(
    site: Site,
) -> None:
    async with site.visitor("anna") as anna:
        answer = await anna.post("/agent/dial", {"number": "12ab"})
    assert answer.status == 422
    assert "Enter a phone number" in answer.text
    assert actions(site, "Originate") == []


async def test_appeal_with_bad_values_is_refused_field_by_field_and_nothing_saved(
    site: Site,
) -> None:
    ids = site.user_ids
    staff = DemoStaff(front=[ids["anna"]], administrators=[ids["sveta"]])
    await seed_appeals(site.spine.app.sessions, UtcClock(), staff)
    async with site.visitor("anna") as anna:
        call = await on_a_call(site, anna, demo_phone_numbers(30)[6])
        screen = await anna.get(f"/agent/calls/{call}", htmx=True)
        topic_id = _option(screen.text, "Complaint")
        form = {
            "topic_id": topic_id, "customer_id": "", "attr.Speed": "fast",
            "attr.BrokenSince": "yesterday", "attr.Tariff": "no-such-tariff",
            "flag.Confirmed": "maybe",
        }  # fmt: skip
        refused = await anna.post(f"/agent/calls/{call}/appeals", form)
        checked = await anna.post(
            f"/agent/calls/{call}/appeal/check", form, trigger="attr.Speed"
        )
    assert refused.status == 422
    for words in (
        "Enter a number, such as 12.5.",
        "Enter a date.",
        "Choose one of the values offered.",
    ):
        assert words in refused.text
    assert checked.status == 200
    assert "Enter a number" in checked.text
    assert "Enter a date." not in checked.text
    found = await site.spine.json("/api/v1/appeals/search", "sveta")
    assert found["items"] == []


def _option(html: str, label: str) -> str:
    head, _, _ = html.partition(f">{label}</option>")
    return head.rsplit('value="', 1)[1].split('"', 1)[0]


async def test_transfer_is_refused_in_the_form_when_its_target_is_wrong(
    site: Site,
) -> None:
    async with site.visitor("anna") as anna:
        await on_a_call(site, anna, demo_phone_numbers(30)[8])
        bad_number = await anna.post(
            "/agent/call/transfer",
            {"mode": "blind", "kind": "number", "number": "12ab"},
        )
        nobody = await anna.post(
            "/agent/call/transfer", {"mode": "blind", "kind": "agent", "agent": "zoe"}
        )
        assert actions(site, "Redirect") == []
        done = await anna.post(
            "/agent/call/transfer",
            {"mode": "blind", "kind": "queue", "queue": "support"},
        )
    assert bad_number.status == 422
    assert 'id="transfer-error"' in bad_number.text
    assert "Enter a phone number" in bad_number.text
    assert "No agent has this login." in nobody.text
    assert done.status == 200
    [redirect] = actions(site, "Redirect")
    assert redirect["Context"] == "cc-wait"
