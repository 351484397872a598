"""The administration pages as `serve` builds them: users created, changed,
given a password and deactivated; a queue and a seat edited in the browser served
by the running ACD (a new seat takes a call from the simulator, no restart); a
queue in use kept, saying why; IVR flows checked and published; nobody else let
in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd import supervision_http
from acd.model import AgentId, AgentState, QueueId
from acd.tables import SqlConfigurationStore
from acd.thresholds import Figure
from crm_core.auth.model import system_actor
from crm_core.auth.service import AuditQuery, AuthService
from crm_core.clock import UtcClock
from crm_core.customers.seed import demo_phone_numbers
from tests.integration.agent_ui.site import PASSWORD, Site, Visitor, running_site
from tests.integration.test_spine import waiting_caller

VERA = AgentId("vera")


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(database_url, tmp_path) as running:
        yield running


async def _send(visitor: Visitor, path: str, data: dict[str, str]) -> tuple[int, str]:
    answer = await visitor.post(path, data, htmx=False)
    return answer.status, answer.headers.get("Location", answer.text)


async def test_new_seat_in_a_new_queue_takes_an_overflowing_call_when_added_live(
    site: Site,
) -> None:
    spine = site.spine
    async with site.visitor("ivan") as ivan:
        assert await _send(ivan, "/admin/queues", {"queue_id": "vip"}) == (
            303,
            "/admin/queues/vip?done=saved",
        )
        seat = {"login": "vera", "endpoint": "1077", "skills": "billing:5",
                "queue.vip": "on", "penalty.vip": "2"}  # fmt: skip
        assert (await _send(ivan, "/admin/seats", seat))[0] == 303
        overflow = {"strategy": "longest_idle", "ring_timeout_s": "5",
                    "overflow_after_s": "1", "overflow_kind": "to_queue",
                    "overflow_queue": "vip"}  # fmt: skip
        assert (await _send(ivan, "/admin/queues/general", overflow))[0] == 303
    await spine.app.acd.login(VERA)

    await spine.call(waiting_caller(demo_phone_numbers(30)[3], patience_s=None))

    await spine.until_state(VERA, AgentState.ON_CALL)
    rung = [
        a.fields.get("Channel") for a in spine.sim.actions if a.action == "Originate"
    ]
    assert "Local/1077@cc-agent" in rung
    kept = await SqlConfigurationStore(spine.app.sessions, UtcClock()).load()
    general = kept.queue("general")
    assert general is not None
    assert general.overflow_queue == "vip"
    vera = kept.seat("vera")
    assert vera is not None
    assert vera.queues == {"vip": 2}


async def test_wallboard_limits_follow_the_target_when_the_admin_edits_a_queue(
    site: Site,
) -> None:
    watch = site.spine.app.web[supervision_http.ALERTS]
    general = QueueId("general")
    target = {
        "strategy": "longest_idle", "service_level_s": "45", "target_level": "0.9"
    }  # fmt: skip
    async with site.visitor("ivan") as ivan:
        assert (await _send(ivan, "/admin/queues/general", target))[0] == 303

    limits = watch.thresholds(general)
    answered = limits.limit(Figure.SERVICE_LEVEL)
    longest = limits.limit(Figure.LONGEST_WAIT)
    assert answered is not None
    assert answered.warning == 0.9
    assert longest is not None
    assert longest.warning == 45


async def test_queue_in_use_is_kept_and_the_page_says_why_when_deleted(
    site: Site,
) -> None:
    async with site.visitor("ivan") as ivan:
        answer = await ivan.post("/admin/queues/general/delete", htmx=False)

    assert answer.status == 409
    assert "seats are in it: anna, boris." in answer.text
    assert "These IVR flows send calls to it: main-en, main-ko" in answer.text
    assert "Calls asking for a queue that does not exist go to it." in answer.text
    assert site.spine.app.acd.has_queue(QueueId("general"))


async def test_seat_form_shows_each_problem_in_words_and_saves_nothing_when_invalid(
    site: Site,
) -> None:
    bad = {"login": "vera", "endpoint": "10 77", "skills": "billing:x",
           "queue.vip": "on"}  # fmt: skip
    async with site.visitor("ivan") as ivan:
        answer = await ivan.post("/admin/seats", bad, htmx=False)

    assert answer.status == 422
    assert "Use letters, digits, dots, dashes and _ only." in answer.text
    assert "Write each skill as name:level" in answer.text
    assert site.spine.app.acd_setup.configuration.seat("vera") is None
    assert site.spine.app.acd.endpoint_of(VERA) is None


async def test_user_is_created_changed_and_deactivated_when_the_admin_asks(
    site: Site,
) -> None:
    async with site.visitor("ivan") as ivan:
        new = {"login": "nina", "display_name": "Nina", "role": "back_office",
               "language": "ru", "password": "short"}  # fmt: skip
        refused = await ivan.post("/admin/users", new, htmx=False)
        assert refused.status == 422
        assert "A password needs at least 10 characters." in refused.text
        status, where = await _send(ivan, "/admin/users", {**new, "password": PASSWORD})
        assert status == 303
        user_page = where.split("?")[0]
        await _send(ivan, user_page, {"display_name": "Nina K", "role": "supervisor",
                                      "language": "en"})  # fmt: skip
        await _send(ivan, user_page + "/password", {"password": "another horse 42"})
        listed = await ivan.get("/admin/users")
    assert "Nina K" in listed.text
    async with site.visitor() as nina:
        await _sign_in(nina, "nina", "another horse 42", expect=200)
        assert (await nina.get("/wallboard")).status == 200
    async with site.visitor("ivan") as ivan:
        await _send(ivan, user_page + "/active", {"active": "no"})
    async with site.visitor() as nina:
        await _sign_in(nina, "nina", "another horse 42", expect=401)


async def _sign_in(visitor: Visitor, login: str, password: str, *, expect: int) -> None:
    async with visitor.http.post(
        visitor.base + "/api/v1/auth/login", json={"login": login, "password": password}
    ) as response:
        assert response.status == expect, await response.text()


async def test_users_list_pages_when_there_are_more_than_a_page(site: Site) -> None:
    async with site.visitor("ivan") as ivan:
        for n in range(30):
            await _send(ivan, "/admin/users", {"login": f"user{n:02d}",
                                               "display_name": f"User {n}",
                                               "role": "agent"})  # fmt: skip
        first = await ivan.get("/admin/users")
        assert 'id="next-page"' in first.text
        after = first.text.split('href="/admin/users?after=')[1].split('"')[0]
        second = await ivan.get(f"/admin/users?after={after}")
    assert "user29" in second.text
    assert "user29" not in first.text


async def test_flow_is_checked_refused_in_words_and_published_from_the_page(
    site: Site,
) -> None:
    async with site.visitor("ivan") as ivan:
        page = await ivan.get("/admin/flows/new")
        document = page.text.split('name="document"')[1].split(">", 1)[1]
        document = document.split("</textarea>")[0].replace("&#34;", '"')
        broken = document.replace("next: agent", "next: nowhere")
        refused = await ivan.post(
            "/admin/flows/new", {"document": broken, "action": "publish"}, htmx=False
        )
        checked = await ivan.post(
            "/admin/flows/new", {"document": document, "action": "check"}, htmx=False
        )
        status, where = await _send(
            ivan, "/admin/flows/new", {"document": document, "action": "publish"}
        )
        listed = await ivan.get("/admin/flows")
    assert refused.status == 422
    assert "step greet" in refused.text
    assert "No problems found" in checked.text
    assert (status, where) == (303, "/admin/flows/new-flow?done=published")
    assert "new-flow" in listed.text


@pytest.mark.parametrize("login", ["anna", "sveta", "masha"])
@pytest.mark.parametrize("path", ["/admin", "/admin/queues", "/admin/seats/anna"])
async def test_administration_is_refused_in_words_when_another_role_asks(
    site: Site, login: str, path: str
) -> None:
    async with site.visitor(login) as visitor:
        answer = await visitor.get(path)
        change = await visitor.post("/admin/queues/general/delete", htmx=False)
    assert answer.status == 403
    assert "Not allowed" in answer.text
    assert change.status == 403
    assert site.spine.app.acd_setup.configuration.queue("general") is not None


async def test_change_is_refused_when_the_admin_page_has_no_csrf_token(
    site: Site,
) -> None:
    async with site.visitor("ivan") as ivan:
        answer = await ivan.post(
            "/admin/queues", {"queue_id": "vip"}, htmx=False, csrf=False
        )
    assert answer.status == 403
    assert site.spine.app.acd_setup.configuration.queue("vip") is None


async def test_field_is_checked_alone_as_the_save_would_when_it_changes(
    site: Site,
) -> None:
    form = {"code": "general", "ring_timeout_s": "0", "wrap_up_s": "soon"}
    async with site.visitor("ivan") as ivan:
        ring = await ivan.post("/admin/check/queue", form, trigger="ring_timeout_s")
        endpoint = await ivan.post(
            "/admin/check/seat",
            {"login": "vera", "endpoint": "1001", "skills": "billing:5"},
            trigger="endpoint",
        )
        fine = await ivan.post(
            "/admin/check/seat", {"login": "vera", "endpoint": "1077"}, trigger="login"
        )

    assert ring.status == 200
    assert "Enter a larger number." in ring.text
    assert "Enter a number" not in ring.text
    assert "Another seat has this phone on that exchange." in endpoint.text
    assert 'role="alert"></span>' in fine.text
    general = site.spine.app.acd_setup.configuration.queue("general")
    assert general is not None
    assert general.ring_timeout_s == 5


async def test_user_loses_a_page_when_the_admin_takes_its_permission_away(
    site: Site,
) -> None:
    olga = site.user_ids["olga"]
    async with site.visitor("ivan") as ivan:
        page = await ivan.get(f"/admin/users/{olga}")
        held = [
            part.split('"')[0]
            for part in page.text.split('name="permission.')[1:]
            if part.split(">")[0].endswith(" checked")
        ]
        form = {f"permission.{code}": "on" for code in held if code != "report.read"}
        status, _ = await _send(
            ivan, f"/admin/users/{olga}/access", {**form, "customer_groups": "VIP"}
        )
    assert "report.read" in held
    assert status == 303
    async with site.visitor("olga") as visitor:
        reports = await visitor.get("/reports")
        back_office = await visitor.get("/backoffice")
    assert reports.status == 403
    assert back_office.status == 200
    assert ">Reports</a>" not in back_office.text


async def test_api_token_works_once_issued_and_stops_when_revoked_from_the_page(
    site: Site,
) -> None:
    masha = site.user_ids["masha"]
    async with site.visitor("ivan") as ivan:
        issued = await ivan.post(
            f"/admin/users/{masha}/tokens", {"name": "billing export"}, htmx=False
        )
        secret = issued.text.split("<code>")[1].split("</code>")[0]
        async with site.visitor() as system:
            system.headers["Authorization"] = f"Bearer {secret}"
            before = await system.get("/api/v1/auth/me")
            page = await ivan.get(f"/admin/users/{masha}")
            row = page.text.split("<td>billing export</td>")[1]
            revoke = row.split('action="')[1].split('"')[0]
            await _send(ivan, revoke, {})
            after = await system.get("/api/v1/auth/me")
    assert issued.status == 200
    assert before.status == 200
    assert '"login":"masha"' in before.text.replace(" ", "")
    assert revoke.endswith("/revoke")
    assert "billing export" in page.text
    assert after.status == 401


async def test_queue_and_seat_changes_are_kept_in_the_audit_log_with_who_made_them(
    site: Site,
) -> None:
    async with site.visitor("ivan") as ivan:
        await _send(ivan, "/admin/queues", {"queue_id": "vip", "ring_timeout_s": "9"})
        await _send(ivan, "/admin/queues/vip/delete", {})
        page = await ivan.get("/admin/audit?action=acd.queue.save")
        bad_day = await ivan.get("/admin/audit?since=yesterday")
    auth = AuthService(site.spine.app.sessions, UtcClock())

    entries = await auth.audit(system_actor(), AuditQuery(), limit=10)

    done = [(e.action, e.actor_login, e.object_id) for e in entries]
    assert done[:2] == [
        ("acd.queue.delete", "ivan", "vip"),
        ("acd.queue.save", "ivan", "vip"),
    ]
    assert entries[1].details["ring_timeout_s"] == 9
    assert "<td>Queue saved</td>" in page.text
    assert "Queue deleted" not in page.text.split('id="audit"')[1]
    assert "Enter a date." in bad_day.text
