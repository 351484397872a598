"""The back office as `serve` builds it, asked as a browser (and htmx) would: the
work lists with their filters and bulk steps, the appeal page and its steps, two
people taking one appeal, an appeal outside one's customer groups, a form with a
bad value, customers and their cards."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crm_core.auth.model import Role
from crm_core.customers.call_log import CallOutcome
from crm_core.customers.seed import demo_phone_numbers
from tests.integration.agent_ui import office
from tests.integration.agent_ui.site import Answer, Site, running_site
from tests.integration.spine import ANNA
from tests.integration.test_spine import waiting_caller
from tests.waiting import eventually


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(database_url, tmp_path) as running:
        await office.routes(running)
        yield running


def rows(answer: Answer) -> list[str]:
    """The appeal ids a list shows, in order."""
    return re.findall(r'<tr data-appeal-id="([0-9a-f-]+)"', answer.text)


async def test_my_queues_list_what_waits_and_waiting_for_me_what_i_took(
    site: Site,
) -> None:
    ivan = await office.customer(site, "Ivan Petrov")
    retention = await office.waiting_termination(site, ivan)
    check = await office.complaint_at_check(site, ivan)
    async with site.visitor("olga") as olga:
        queues = await olga.get("/backoffice")
        assert queues.status == 200
        assert set(rows(queues)) == {retention, check}
        assert "Ivan Petrov" in queues.text
        assert "Retention offer" in queues.text
        assert "Technical check" in queues.text
        taken = await olga.post(f"/backoffice/appeals/{check}/take", {"from": "list"})
        assert taken.headers["HX-Redirect"] == f"/backoffice/appeals/{check}"
        again = await olga.post(f"/backoffice/appeals/{check}/take", {"from": "list"})
        assert (again.status, again.headers["HX-Retarget"]) == (409, "#flash")
        assert again.headers["HX-Trigger"] == "list-changed"
        assert "It has been taken already." in again.text
        assert rows(await olga.get("/backoffice?list=queues")) == [retention]
        mine = await olga.get("/backoffice?list=mine")
    assert rows(mine) == [check]
    assert "In progress" in mine.text
    async with site.visitor("olga") as russian:
        russian.language = "ru"
        spoken = await russian.get(f"/backoffice/appeals/{check}")
        listed = await russian.get("/backoffice")
    assert "Что можно сделать" in spoken.text
    assert "Взято в работу" in spoken.text
    assert "Мои очереди" in listed.text
    async with site.visitor("anna") as anna:  # an agent works no back-office queue
        assert (await anna.get("/backoffice")).status == 403


async def test_filters_narrow_the_list_and_a_bad_one_is_said_in_words(
    site: Site,
) -> None:
    ivan = await office.customer(site, "Ivan Petrov")
    retention = await office.waiting_termination(site, ivan, "moving abroad")
    check = await office.complaint_at_check(site, ivan)
    topic = await office.topic_id(site, "complaint")
    async with site.visitor("olga") as olga:
        by_topic = await olga.get(f"/backoffice?list=all&topic={topic}", htmx=True)
        by_words = await olga.get("/backoffice?list=all&text=abroad", htmx=True)
        by_reason = await olga.get(
            "/backoffice?list=all&attribute=Reason&value=moving+abroad"
        )
        bad = await olga.get("/backoffice?list=all&created_from=yesterday")
    assert rows(by_topic) == [check]
    assert 'id="list-body"' in by_topic.text
    assert "<html" not in by_topic.text  # htmx gets the list alone
    assert rows(by_words) == [retention]
    assert rows(by_reason) == [retention]
    assert bad.status == 422
    assert "Enter a date." in bad.text
    assert rows(bad) == []


async def test_bulk_step_says_what_became_of_each_appeal(site: Site) -> None:
    ivan = await office.customer(site, "Ivan Petrov")
    closable = await office.waiting_termination(site, ivan)
    unclosable = await office.complaint_at_check(site, ivan)
    async with site.visitor("sveta") as sveta:
        nothing = await sveta.post("/backoffice/bulk", {"action": "close"})
        done = await sveta.post(
            "/backoffice/bulk",
            [("action", "close"), ("comment", "done in bulk"),
             ("appeal", closable), ("appeal", unclosable)],
        )  # fmt: skip
    assert nothing.status == 422
    assert "Tick the appeals first." in nothing.text
    assert done.status == 200
    assert done.headers["HX-Trigger"] == "list-changed"
    assert "1 of 2 done" in done.text
    assert re.search(rf'data-appeal-id="{closable}">.*Closed\.', done.text)
    assert re.search(
        rf'data-appeal-id="{unclosable}">.*Its stage does not allow closing\.',
        done.text,
    )
    assert (await office.appeal(site, closable))["status"] == "closed"
    assert (await office.appeal(site, unclosable))["status"] == "waiting"


async def test_second_taker_is_told_in_words_when_two_take_one_appeal(
    site: Site,
) -> None:
    await site.add_user("vera", Role.BACK_OFFICE, queues=frozenset({"back_office"}))
    appeal_id = await office.waiting_termination(
        site, await office.customer(site, "Ivan Petrov")
    )
    page = f"/backoffice/appeals/{appeal_id}"
    async with site.visitor("olga") as olga, site.visitor("vera") as vera:
        seen_by_olga = await olga.get(page)
        seen_by_vera = await vera.get(page)
        version = re.search(r'data-version="(\d+)"', seen_by_olga.text)
        assert version is not None
        assert f'data-version="{version[1]}"' in seen_by_vera.text
        assert 'id="take"' in seen_by_vera.text
        won = await olga.post(f"{page}/take", {"version": version[1]})
        lost = await vera.post(f"{page}/take", {"version": version[1]})
    assert won.status == 200
    assert "The appeal is yours now." in won.text
    assert lost.status == 409
    assert "Someone changed it meanwhile; it is shown as it is now." in lost.text
    assert 'id="appeal-owner">olga' in lost.text  # vera sees who has it
    assert 'id="take"' not in lost.text
    found = await office.appeal(site, appeal_id)
    assert (found["assignee_id"], found["status"]) == (
        str(site.user_ids["olga"]), "in_progress",
    )  # fmt: skip
    takes = [e for e in await office.history(site, appeal_id) if e["action"] == "take"]
    assert len(takes) == 1


async def test_appeal_outside_the_users_customer_groups_is_refused(
    site: Site,
) -> None:
    await site.add_user(
        "rita", Role.BACK_OFFICE, groups=frozenset({"regions"}),
        queues=frozenset({"back_office"}),
    )  # fmt: skip
    moscow = await office.customer(site, "Ivan Petrov", group="moscow")
    appeal_id = await office.waiting_termination(site, moscow)
    async with site.visitor("rita") as rita:
        page = await rita.get(f"/backoffice/appeals/{appeal_id}")
        step = await rita.post(f"/backoffice/appeals/{appeal_id}/take", {})
        card = await rita.get(f"/backoffice/customers/{moscow}")
        listed = await rita.get("/backoffice?list=all")
        found = await rita.get("/backoffice/customers?name=ivan")
        async with rita.http.get(site.base + f"/api/v1/appeals/{appeal_id}") as api:
            assert api.status == 403
    assert page.status == 403
    assert "Not allowed" in page.text
    assert step.status == 403
    assert "You are not allowed to do this." in step.text
    assert card.status == 403
    assert rows(listed) == []
    assert "Ivan Petrov" not in found.text
    assert (await office.appeal(site, appeal_id))["assignee_id"] is None


async def test_bad_values_are_said_by_their_fields_and_nothing_is_saved(
    site: Site,
) -> None:
    appeal_id = await office.waiting_termination(
        site, await office.customer(site, "Ivan Petrov")
    )
    page = f"/backoffice/appeals/{appeal_id}"
    before = await office.history(site, appeal_id)
    async with site.visitor("olga") as olga:
        await olga.post(f"{page}/take", {})
        edit = await olga.post(
            f"{page}/edit",
            {"attr.Speed": "fast", "attr.Reason": "", "description": "changed"},
        )
        reject = await olga.post(f"{page}/reject", {"comment": "  "})
        deadline = await olga.post(f"{page}/deadline", {"deadline": "next week"})
        check = await olga.post(
            f"{page}/edit/check", {"attr.Speed": "fast"}, trigger="attr.Speed"
        )
    assert edit.status == 422
    assert "Nothing was saved: correct the fields marked." in edit.text
    assert re.search(r'data-attribute="Speed">.*?Enter a number', edit.text, re.S)
    assert re.search(r'data-attribute="Reason">.*?Fill this in\.', edit.text, re.S)
    assert 'value="fast"' in edit.text  # what was typed stays
    assert reject.status == 422
    assert "Fill this in." in reject.text
    assert deadline.status == 422
    assert "Enter a date and a time." in deadline.text
    assert 'value="next week"' in deadline.text
    assert check.status == 200
    assert "Enter a number, such as 12.5." in check.text
    found = await office.appeal(site, appeal_id)
    assert found["attributes"]["Reason"] == "moving abroad"
    assert found["description"] != "changed"
    assert found["stage"] == "retention"
    after = await office.history(site, appeal_id)
    assert [e["action"] for e in after] == [e["action"] for e in before] + ["take"]


async def test_steps_move_the_appeal_and_its_history_says_them_in_words(
    site: Site,
) -> None:
    appeal_id = await office.waiting_termination(
        site, await office.customer(site, "Ivan Petrov")
    )
    page = f"/backoffice/appeals/{appeal_id}"
    olga_id = str(site.user_ids["olga"])
    async with site.visitor("sveta") as sveta, site.visitor("olga") as olga:
        given = await sveta.post(f"{page}/assign", {"assignee": olga_id})
        assert "The appeal is given." in given.text
        moved = await olga.post(
            f"{page}/deadline", {"deadline": "2030-01-02T10:30", "comment": "asked"}
        )
        assert "The deadline is moved." in moved.text
        assert "2030-01-02 10:30" in moved.text
        back = await olga.post(f"{page}/reject", {"comment": "needs the contract"})
        assert "The appeal is returned to the previous stage." in back.text
        await sveta.post(f"{page}/take", {})
        on = await sveta.post(
            f"{page}/pass-on", {"transition": "retain", "comment": "contract found"}
        )
        assert "The appeal is passed on." in on.text
        await olga.post(f"{page}/take", {})
        closed = await olga.post(f"{page}/close", {"comment": "stays with us"})
        assert 'id="appeal-status">Closed' in closed.text
        reopened = await sveta.post(f"{page}/reopen", {"comment": "called again"})
        final = await olga.get(page)
    assert "The appeal is reopened." in reopened.text
    for words in (
        "Registered at Request", "Given to olga", "Deadline moved to 2030-01-02 10:30",
        "Returned to Request", "needs the contract", "Passed on to Retention offer",
        "contract found", "Closed", "stays with us", "Reopened", "called again",
    ):  # fmt: skip
        assert words in final.text, words
    assert (await office.appeal(site, appeal_id))["status"] == "waiting"


async def test_child_appeal_is_registered_from_its_form_on_the_parents_page(
    site: Site,
) -> None:
    ivan = await office.customer(site, "Ivan Petrov")
    parent = await office.waiting_termination(site, ivan)
    complaint = await office.topic_id(site, "complaint")
    page = f"/backoffice/appeals/{parent}"
    async with site.visitor("olga") as olga:
        form = await olga.get(f"{page}/children/form?topic_id={complaint}", htmx=True)
        refused = await olga.post(
            f"{page}/children", {"topic_id": complaint, "description": "router"}
        )
        made = await olga.post(
            f"{page}/children",
            {"topic_id": complaint, "description": "router",
             "attr.BrokenSince": "2026-01-03"},
        )  # fmt: skip
    assert 'data-attribute="BrokenSince"' in form.text
    assert refused.status == 422
    assert refused.headers["HX-Retarget"] == "#child-form"
    assert "Fill this in." in refused.text
    assert "The child appeal is registered." in made.text
    children = await site.spine.json(
        f"/api/v1/appeals/search?customer_id={ivan}", "sveta"
    )
    [child] = [a for a in children["items"] if a["id"] != parent]
    assert child["topic_id"] == complaint
    assert re.search(rf'href="/backoffice/appeals/{child["id"]}"', made.text)


async def test_customers_are_found_by_name_phone_or_account_and_shown_on_a_card(
    site: Site,
) -> None:
    card = await office.api(
        site, "POST", "/customers",
        {"name": "Ivan Petrov", "account": "ACC-42", "customer_group": "moscow",
         "phones": [{"number": "+74957770042"}], "category": "VIP"},
    )  # fmt: skip
    customer_id = str(card["id"])
    appeal_id = await office.waiting_termination(site, customer_id)
    async with site.visitor("olga") as olga:
        by_name = await olga.get("/backoffice/customers?name=petrov")
        by_phone = await olga.get("/backoffice/customers?phone=8+495+777-00-42")
        by_account = await olga.get("/backoffice/customers?account=ACC-42")
        bad_phone = await olga.get("/backoffice/customers?phone=abc")
        shown = await olga.get(f"/backoffice/customers/{customer_id}")
    for found in (by_name, by_phone, by_account):
        assert f'href="/backoffice/customers/{customer_id}"' in found.text
    assert bad_phone.status == 422
    assert "A phone number" in bad_phone.text
    assert shown.status == 200
    assert 'id="customer-name">Ivan Petrov' in shown.text
    assert "ACC-42" in shown.text
    assert f'href="/backoffice/appeals/{appeal_id}"' in shown.text
    assert "Contract termination" in shown.text


async def test_file_attached_through_the_api_is_listed_for_download(
    site: Site,
) -> None:
    appeal_id = await office.waiting_termination(
        site, await office.customer(site, "Ivan Petrov")
    )
    async with site.visitor("olga") as olga:
        page = await olga.get(f"/backoffice/appeals/{appeal_id}")
        assert 'data-url="/api/v1/appeals/' in page.text
        body = aiohttp.FormData()
        body.add_field("file", b"scan of the contract", filename="contract.pdf")
        async with olga.http.post(
            site.base + f"/api/v1/appeals/{appeal_id}/attachments",
            data=body,
            headers={"X-CSRF-Token": olga.csrf},
        ) as sent:
            assert sent.status == 201, await sent.text()
            attachment = await sent.json()
        again = await olga.get(f"/backoffice/appeals/{appeal_id}", htmx=True)
    assert f'href="/api/v1/attachments/{attachment["id"]}"' in again.text
    assert "20 bytes" in again.text
    assert "File attached: contract.pdf" in again.text


async def test_appeal_page_plays_the_recording_of_the_call_it_came_from(
    site: Site,
) -> None:
    spine = site.spine
    await spine.logged_in(ANNA)
    _, call = await spine.call(
        waiting_caller(demo_phone_numbers(30)[5], patience_s=None, talk_s=1.5)
    )
    contact = await spine.settled(call, lambda c: c.outcome is CallOutcome.ANSWERED)

    async def recorded() -> list[dict[str, Any]]:
        found = await spine.json(f"/api/v1/recordings?call_id={call}", "sveta")
        return [r for r in found["items"] if r["status"] == "ready"]

    [recording] = await eventually(recorded)
    made = await office.api(
        site, "POST", "/appeals",
        {"topic_id": await office.topic_id(site, "termination"),
         "customer_id": str(contact.customer_id), "contact_id": str(contact.id),
         "attributes": {"Reason": "asked on the phone"}},
    )  # fmt: skip
    audio = f"/api/v1/recordings/{recording['id']}/audio"
    async with site.visitor("olga") as olga:
        page = await olga.get(f"/backoffice/appeals/{made['id']}")
        card = await olga.get(f"/backoffice/customers/{contact.customer_id}")
        async with olga.http.get(
            site.base + audio, headers={"Range": "bytes=0-99"}
        ) as heard:
            assert heard.status == 206
            assert heard.headers["Content-Range"].startswith("bytes 0-99/")
            assert (await heard.read())[:4] == b"RIFF"
    assert f'<audio controls preload="none" src="{audio}"' in page.text
    assert "Answered" in page.text
    assert audio in card.text
