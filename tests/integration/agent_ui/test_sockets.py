"""The live channel with a real python-socketio client: who may connect, which room
gets what, presence, and the state a desktop is brought up to."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import socketio

from acd.events import AgentStateChanged, CallRequeued, QueueStatsUpdated
from acd.model import AgentId, AgentState, QueueId
from agent_ui.events import AgentConnected, AgentDisconnected
from agent_ui.ports import CustomerCards
from agent_ui.sockets import NAMESPACE
from crm_core.auth.model import Actor, system_actor
from crm_core.auth.service import AuthService, UserChanges
from crm_core.customers.events import CallerIdentified, ContactOpened
from crm_core.customers.model import CustomerCard
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from ivr.events import IvrCompleted
from telephony.model import CallId
from tests.fakes import FakeClock
from tests.integration.agent_ui.harness import Desk, running_desk
from tests.waiting import eventually

TIMEOUT_S = 5.0
ANI = "+79161234567"
CALL = "pbx1-1700000000.7"
EVENT_NAMES = (
    "screen_pop",
    "offer_withdrawn",
    "agent_state",
    "queue_stats",
    "wallboard",
    "connect_error",
)


@dataclass(slots=True)
class Desktop:
    """One connected browser, as a Socket.IO client that keeps what it was sent."""

    client: Any
    received: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    async def first(self, name: str) -> Any:
        async def seen() -> Any:
            found = self.of(name)
            return found[0] if found else None

        return await eventually(seen, timeout_s=TIMEOUT_S)


@dataclass(slots=True)
class HeldCards:
    """The CRM's cards, with the reads of one customer held until `release` is
    set (a database too busy to answer)."""

    inner: CustomerCards | None = None
    held: uuid.UUID | None = None
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def wrapping(self, customers: CustomerService) -> CustomerCards:
        self.inner = customers
        return self

    async def get(self, actor: Actor, customer_id: uuid.UUID) -> CustomerCard:
        assert self.inner is not None
        if customer_id == self.held:
            await self.release.wait()
        return await self.inner.get(actor, customer_id)


@pytest.fixture
def cards() -> HeldCards:
    return HeldCards()


@pytest.fixture
async def desk(sessions: Sessions, cards: HeldCards) -> AsyncIterator[Desk]:
    async with running_desk(sessions, cards=cards.wrapping) as running:
        yield running


Opener = Callable[..., Awaitable[Desktop]]


@pytest.fixture
async def open_desktop(desk: Desk) -> AsyncIterator[Opener]:
    opened: list[Desktop] = []

    async def open_(
        cookie: str | None, *, opened_into: list[Desktop] | None = None
    ) -> Desktop:
        client = socketio.AsyncClient(reconnection=False)
        desktop = Desktop(client)
        for name in EVENT_NAMES:
            client.on(name, _keeper(desktop, name), namespace=NAMESPACE)
        opened.append(desktop)
        if opened_into is not None:
            opened_into.append(desktop)
        async with asyncio.timeout(TIMEOUT_S):
            await client.connect(
                desk.url,
                headers={"Cookie": cookie} if cookie else {},
                transports=["websocket"],
                namespaces=[NAMESPACE],
                wait_timeout=TIMEOUT_S,
            )
            await client.emit("ready", namespace=NAMESPACE)
        return desktop

    yield open_
    for desktop in opened:
        async with asyncio.timeout(TIMEOUT_S):
            await desktop.client.disconnect()


def _keeper(desktop: Desktop, name: str) -> Callable[[Any], Awaitable[None]]:
    async def keep(data: Any) -> None:
        desktop.received.append((name, data))

    return keep


async def _refused(open_desktop: Opener, cookie: str | None) -> str:
    """The server's reason for refusing a desktop with `cookie`."""
    keeper: list[Desktop] = []
    with pytest.raises(socketio.exceptions.ConnectionError):
        await open_desktop(cookie, opened_into=keeper)
    reason = await keeper[0].first("connect_error")
    return str(reason["message"])


async def test_connection_is_refused_when_there_is_no_session_cookie(
    open_desktop: Opener,
) -> None:
    assert "not signed in" in await _refused(open_desktop, None)


async def test_connection_is_refused_when_the_cookie_is_no_live_session(
    desk: Desk, open_desktop: Opener
) -> None:
    assert "not signed in" in await _refused(open_desktop, "cc_session=forged")
    cookie = await desk.cookie("anna")
    await desk.auth.logout(cookie.partition("=")[2])
    assert "not signed in" in await _refused(open_desktop, cookie)


async def test_connection_is_refused_when_the_role_has_no_desktop(
    desk: Desk, open_desktop: Opener
) -> None:
    assert "no desktop" in await _refused(open_desktop, await desk.cookie("mark"))


async def test_screen_pop_reaches_only_the_offered_agent_when_a_known_caller_is_offered(
    desk: Desk, open_desktop: Opener
) -> None:
    card = await desk.customers.create(
        system_actor(),
        {"name": "Anna Petrova", "account": "ACC-7", "phones": [{"number": ANI}]},
    )
    anna = await open_desktop(await desk.cookie("anna"))
    sam = await open_desktop(await desk.cookie("sam"))
    now = datetime.now(UTC)
    for event in (
        CallerIdentified(occurred_at=now, call_id=CALL, ani=ANI,
                         customer_ids=(str(card.id),), contact_id="contact-7"),
        ContactOpened(occurred_at=now, contact_id="contact-7",
                      customer_id=str(card.id), channel="phone", call_id=CALL),
        IvrCompleted(occurred_at=now, call_id=CALL, ani=ANI, customer_id=None,
                     outcome="queue", queue="billing", skills=(), priority=0,
                     language="ru", data={"handoff": {"flow": "main",
                     "menu_path": ["billing"], "values": {"digits": "1"}}}),
        desk.offer(CALL, "anna"),
    ):  # fmt: skip
        await desk.bus.publish(event)

    pop = await anna.first("screen_pop")
    assert pop["call_id"] == CALL
    assert pop["contact_id"] == "contact-7"
    assert pop["caller"]["kind"] == "known"
    assert pop["caller"]["customer"]["name"] == "Anna Petrova"
    assert pop["caller"]["customer"]["account"] == "ACC-7"
    assert pop["ivr"]["menu_path"] == ["billing"]
    await desk.bus.publish(_paused(desk, "sam"))  # a marker behind any pop
    await sam.first("agent_state")
    assert sam.of("screen_pop") == []


async def _identified(desk: Desk, call: str, *customers: uuid.UUID) -> None:
    await desk.bus.publish(
        CallerIdentified(
            occurred_at=datetime.now(UTC), call_id=call, ani=ANI,
            customer_ids=tuple(str(c) for c in customers), contact_id="",
        )
    )  # fmt: skip


async def _offered_slowly(
    desk: Desk, open_desktop: Opener, cards: HeldCards
) -> Desktop:
    """Anna's desktop, offered a call from a customer whose card is held."""
    slow = await desk.customers.create(
        system_actor(), {"name": "Anna Petrova", "phones": [{"number": ANI}]}
    )
    cards.held = slow.id
    anna = await open_desktop(await desk.cookie("anna"))
    await _identified(desk, CALL, slow.id)
    await desk.bus.publish(desk.offer(CALL, "anna"))
    return anna


async def test_other_agents_pops_go_out_while_one_card_is_slow_to_read(
    desk: Desk, open_desktop: Opener, cards: HeldCards
) -> None:
    anna = await _offered_slowly(desk, open_desktop, cards)
    sam = await open_desktop(await desk.cookie("sam"))
    await _identified(desk, "pbx1-1700000000.8")
    await desk.bus.publish(desk.offer("pbx1-1700000000.8", "sam"))
    assert (await sam.first("screen_pop"))["call_id"] == "pbx1-1700000000.8"
    assert anna.of("screen_pop") == []
    cards.release.set()
    pop = await anna.first("screen_pop")
    assert (pop["call_id"], pop["caller"]["customer"]["name"]) == (CALL, "Anna Petrova")


async def test_an_offer_withdrawn_while_its_card_is_read_is_not_popped(
    desk: Desk, open_desktop: Opener, cards: HeldCards
) -> None:
    anna = await _offered_slowly(desk, open_desktop, cards)
    await desk.bus.publish(
        CallRequeued(
            occurred_at=datetime.now(UTC), call_id=CallId(CALL),
            queue_id=QueueId("billing"), agent_id=AgentId(desk.agent_id("anna")),
        )
    )  # fmt: skip
    assert (await anna.first("offer_withdrawn"))["call_id"] == CALL
    assert desk.desktops.pops_in_flight == 1
    cards.release.set()

    async def done() -> bool:
        return desk.desktops.pops_in_flight == 0

    await eventually(done, timeout_s=TIMEOUT_S)
    await desk.bus.publish(_paused(desk, "anna"))  # behind anything sent to anna
    await anna.first("agent_state")
    assert anna.of("screen_pop") == []


async def test_new_customer_form_pops_when_the_number_is_unknown(
    desk: Desk, open_desktop: Opener
) -> None:
    anna = await open_desktop(await desk.cookie("anna"))
    await desk.bus.publish(
        CallerIdentified(
            occurred_at=datetime.now(UTC),
            call_id=CALL,
            ani=ANI,
            customer_ids=(),
            contact_id="contact-8",
        )
    )
    await desk.bus.publish(desk.offer(CALL, "anna"))
    pop = await anna.first("screen_pop")
    assert pop["caller"]["kind"] == "new"
    assert pop["caller"]["form"]["phone"] == ANI


async def test_offer_is_popped_again_when_the_agent_reconnects_while_it_rings(
    desk: Desk, open_desktop: Opener
) -> None:
    await desk.bus.publish(desk.offer(CALL, "anna"))
    await desk.bus.drain()
    anna = await open_desktop(await desk.cookie("anna"))
    assert (await anna.first("screen_pop"))["call_id"] == CALL
    await desk.bus.publish(
        CallRequeued(
            occurred_at=datetime.now(UTC),
            call_id=CallId(CALL),
            queue_id=QueueId("billing"),
            agent_id=AgentId(desk.agent_id("anna")),
        )
    )
    assert (await anna.first("offer_withdrawn")) == {"call_id": CALL}
    later = await open_desktop(await desk.cookie("anna"))
    await desk.bus.publish(_paused(desk, "anna"))  # a marker behind any pop
    await later.first("agent_state")
    assert later.of("screen_pop") == []


async def test_presence_is_published_when_an_agent_connects_and_leaves(
    desk: Desk, open_desktop: Opener
) -> None:
    cookie = await desk.cookie("anna")
    first = await open_desktop(cookie)
    second = await open_desktop(cookie)
    async with asyncio.timeout(TIMEOUT_S):
        await first.client.disconnect()
        await second.client.disconnect()

    async def four() -> bool:
        return len(desk.presence) == 4

    await eventually(four, timeout_s=TIMEOUT_S)
    anna = desk.agent_id("anna")
    assert [(type(e), e.agent_id, e.connections) for e in desk.presence] == [
        (AgentConnected, anna, 1),
        (AgentConnected, anna, 2),
        (AgentDisconnected, anna, 1),
        (AgentDisconnected, anna, 0),
    ]


def _paused(desk: Desk, login: str) -> AgentStateChanged:
    return AgentStateChanged(
        occurred_at=datetime.now(UTC),
        agent_id=AgentId(desk.agent_id(login)),
        state=AgentState.PAUSED,
        previous=AgentState.READY,
        reason="lunch",
        queue_ids=(QueueId("billing"),),
    )


def _stats(waiting: int, queue: str = "billing") -> QueueStatsUpdated:
    now = datetime.now(UTC)
    return QueueStatsUpdated(
        occurred_at=now, queue_id=QueueId(queue), waiting=waiting,
        longest_wait_s=31.0, answered=8, abandoned=2, abandoned_short=0,
        service_level=0.75, average_speed_of_answer_s=14.0,
        average_handle_time_s=200.0, agents_by_state=(("ready", 1),),
        occupancy=0.5, agents_needed=2, interval_start=now,
    )  # fmt: skip


async def test_wallboard_follows_queues_and_agents_when_the_acd_publishes(
    desk: Desk, open_desktop: Opener
) -> None:
    sam = await open_desktop(await desk.cookie("sam"))
    anna = await open_desktop(await desk.cookie("anna"))
    assert await sam.first("wallboard") == {"queues": [], "agents": []}
    await desk.bus.publish(_stats(waiting=4))
    await desk.bus.publish(_paused(desk, "anna"))
    stats = await sam.first("queue_stats")
    assert stats["waiting"] == 4
    assert stats["abandonment"] == 0.2
    assert (await sam.first("agent_state"))["state"] == "paused"
    assert (await anna.first("agent_state"))["reason"] == "lunch"
    assert anna.of("queue_stats") == []

    late = await open_desktop(await desk.cookie("sam"))
    snapshot = await late.first("wallboard")
    assert [q["waiting"] for q in snapshot["queues"]] == [4]
    assert [a["agent_id"] for a in snapshot["agents"]] == [desk.agent_id("anna")]


async def test_agent_gets_their_queues_figures_when_the_acd_names_their_queues(
    desk: Desk, open_desktop: Opener
) -> None:
    anna = await open_desktop(await desk.cookie("anna"))
    await desk.bus.publish(_paused(desk, "anna"))  # member of billing
    await anna.first("agent_state")
    await desk.bus.publish(_stats(waiting=2, queue="sales"))
    await desk.bus.publish(_stats(waiting=5, queue="billing"))
    assert (await anna.first("queue_stats"))["queue_id"] == "billing"
    await desk.bus.publish(_stats(waiting=1, queue="billing"))

    async def two() -> bool:
        return len(anna.of("queue_stats")) == 2

    await eventually(two, timeout_s=TIMEOUT_S)
    assert [s["queue_id"] for s in anna.of("queue_stats")] == ["billing", "billing"]

    again = await open_desktop(await desk.cookie("anna"))
    await desk.bus.publish(_stats(waiting=3, queue="billing"))
    assert (await again.first("queue_stats"))["waiting"] == 3


async def _cut_off(desktop: Desktop) -> bool:
    return not desktop.client.connected


@pytest.mark.parametrize("how", ["logout", "deactivate", "new password"])
async def test_desktop_is_cut_off_at_once_when_its_session_ends(
    desk: Desk, open_desktop: Opener, how: str
) -> None:
    cookie = await desk.cookie("anna")
    anna = await open_desktop(cookie)
    other_browser = await open_desktop(await desk.cookie("anna"))
    match how:
        case "logout":
            await desk.auth.logout(cookie.partition("=")[2])
        case "deactivate":
            await desk.auth.deactivate_user(system_actor(), desk.user_ids["anna"])
        case _:
            await desk.auth.edit_user(
                system_actor(), desk.user_ids["anna"],
                UserChanges(password="a new horse battery"),
            )  # fmt: skip
    await eventually(lambda: _cut_off(anna), timeout_s=TIMEOUT_S)
    await desk.bus.publish(desk.offer(CALL, "anna"))
    await desk.bus.publish(_paused(desk, "anna"))  # a marker behind the pop
    if how == "logout":  # the user's other browser keeps its own session
        assert (await other_browser.first("screen_pop"))["call_id"] == CALL
        await other_browser.first("agent_state")
    else:
        await eventually(lambda: _cut_off(other_browser), timeout_s=TIMEOUT_S)
    await desk.bus.drain()
    assert anna.of("screen_pop") == []


async def test_desktop_is_cut_off_by_the_sweep_when_its_session_ended_elsewhere(
    desk: Desk, open_desktop: Opener, sessions: Sessions
) -> None:
    anna = await open_desktop(await desk.cookie("anna"))
    sam = await open_desktop(await desk.cookie("sam"))
    elsewhere = AuthService(sessions, FakeClock())  # the users command: no bus
    await elsewhere.edit_user(
        system_actor(), desk.user_ids["anna"],
        UserChanges(password="a new horse battery"),
    )  # fmt: skip
    await desk.bus.drain()
    assert anna.client.connected
    await desk.desktops.sweep()
    await eventually(lambda: _cut_off(anna), timeout_s=TIMEOUT_S)
    assert sam.client.connected
