"""Mass incidents on SQLite and PostgreSQL: declaring, linking by hand and by area,
resolving with every open appeal closed and its customer told, and refusals."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm_core.appeals.events import AppealChanged
from crm_core.appeals.model import AppealAction, AppealStatus
from crm_core.appeals.service import AppealInput
from crm_core.appeals.tables import AppealHistoryRow
from crm_core.db import Sessions
from crm_core.errors import Forbidden, NotFound, ValidationFailed
from crm_core.incidents.errors import (
    AppealLinkedElsewhere,
    IncidentHasAppeals,
    IncidentResolved,
)
from crm_core.incidents.model import IncidentStatus, LinkOrigin
from crm_core.notices.model import NoticeChannel, NoticeReason
from tests.integration.crm_core.appeals.world import ANNA, BORIS, VERA, build
from tests.integration.crm_core.incidents.town import (
    Town,
    build_town,
    complaint_from,
    customer,
    outage,
)


@pytest.fixture
async def town(sessions: Sessions) -> Town:
    return await build_town(await build(sessions))


async def test_appeal_is_linked_automatically_when_customer_is_in_the_area(
    town: Town,
) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    inside = await customer(town, "Petr", network_node=" n1 ", city="Omsk")
    by_city = await customer(town, "Olga", city="TOMSK")
    outside = await customer(town, "Far", network_node="N2", city="Omsk")
    linked = [await complaint_from(town, c) for c in (inside, by_city)]
    await complaint_from(town, outside)
    links = await town.incidents.appeals(ANNA, incident.id)
    assert [link.appeal_id for link in links] == [a.id for a in linked]
    assert {link.origin for link in links} == {LinkOrigin.AUTOMATIC}


async def test_appeal_is_not_linked_when_topic_is_not_listed(town: Town) -> None:
    incident = await town.incidents.create(
        VERA, outage(town, topic_codes=frozenset({"termination"}))
    )
    await complaint_from(town, await customer(town, "Petr", network_node="N1"))
    assert await town.incidents.appeals(VERA, incident.id) == []


async def test_resolving_closes_open_appeals_and_queues_notices_when_resolved(
    town: Town,
) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    petr = await customer(
        town, "Petr", network_node="N1",
        phones=[{"number": "+7 913 111-22-33"}], preferred_channels=["sms"],
    )  # fmt: skip
    olga = await customer(
        town, "Olga", network_node="N1", emails=["olga@example.org"],
        preferred_channels=["email"],
    )  # fmt: skip
    first = await complaint_from(town, petr)
    second = await complaint_from(town, olga)
    town.world.clock.advance(3600)

    done = await town.incidents.resolve(VERA, incident.id, resolution="Power back")

    assert done.incident.status is IncidentStatus.RESOLVED
    assert done.incident.resolution == "Power back"
    assert [(r.appeal_id, r.closed) for r in done.results] == [
        (first.id, True), (second.id, True),
    ]  # fmt: skip
    for appeal in (first, second):
        got = await town.world.appeals.get(VERA, appeal.id)
        assert got.status is AppealStatus.CLOSED
        history = await town.world.appeals.history(VERA, appeal.id)
        assert (history[-1].action, history[-1].comment) == (
            AppealAction.CLOSE, "Power back",
        )  # fmt: skip
        assert history[-1].actor_id == VERA.user_id
    assert done.notices_queued == 2
    sms = await town.notices.for_customer(VERA, petr)
    mail = await town.notices.for_customer(VERA, olga)
    assert [(n.channel, n.address, n.reason) for n in sms + mail] == [
        (NoticeChannel.SMS, "+79131112233", NoticeReason.INCIDENT_RESOLVED),
        (NoticeChannel.EMAIL, "olga@example.org", NoticeReason.INCIDENT_RESOLVED),
    ]
    assert sms[0].body == "Node N1 down is resolved: Power back"
    assert sms[0].incident_id == incident.id
    assert town.wakes == ["wake"]


async def test_no_second_notice_is_queued_when_closing_came_from_the_incident(
    town: Town,
) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    petr = await customer(
        town, "Petr", network_node="N1", phones=[{"number": "+79131112233"}]
    )
    await complaint_from(town, petr)
    await town.incidents.resolve(VERA, incident.id, resolution="Power back")
    for event in town.world.events.of_type(AppealChanged):
        await town.notices.on_appeal_changed(event)
    assert len(await town.notices.for_customer(VERA, petr)) == 1


async def test_other_appeals_close_when_one_cannot_be_closed(town: Town) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    petr = await customer(town, "Petr", network_node="N1")
    blocked = await complaint_from(town, petr)
    await town.world.appeals.create_child(
        ANNA, blocked.id, AppealInput(attributes={"BrokenSince": "2026-01-03"})
    )
    fine = await complaint_from(town, petr)

    done = await town.incidents.resolve(VERA, incident.id, resolution="fixed")

    results = {r.appeal_id: r for r in done.results}
    assert results[fine.id].closed
    assert not results[blocked.id].closed
    assert "child appeal" in (results[blocked.id].error or "")
    still = await town.world.appeals.get(VERA, blocked.id)
    assert still.status is not AppealStatus.CLOSED


async def test_already_closed_appeal_is_left_alone_when_resolving(town: Town) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    appeal = await complaint_from(town, await customer(town, "P", network_node="N1"))
    await town.world.appeals.take(ANNA, appeal.id)
    await town.world.appeals.close(ANNA, appeal.id, comment="self-healed")
    async with town.world.sessions() as s:
        before = await s.scalar(select(func.count()).select_from(AppealHistoryRow))
    done = await town.incidents.resolve(VERA, incident.id, resolution="fixed")
    async with town.world.sessions() as s:
        after = await s.scalar(select(func.count()).select_from(AppealHistoryRow))
    assert done.results == ()
    assert before == after


async def test_resolving_is_refused_when_already_resolved(town: Town) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    await town.incidents.resolve(VERA, incident.id, resolution="fixed")
    with pytest.raises(IncidentResolved):
        await town.incidents.resolve(VERA, incident.id, resolution="again")
    with pytest.raises(IncidentResolved):
        await town.incidents.update(VERA, incident.id, outage(town, title="x"))
    got = await town.incidents.get(ANNA, incident.id)
    assert got.resolution == "fixed"


async def test_manual_link_and_unlink_work_when_incident_is_open(town: Town) -> None:
    incident = await town.incidents.create(VERA, outage(town, topic_codes=frozenset()))
    appeal = await complaint_from(town, await customer(town, "P", city="Omsk"))
    links = await town.incidents.link(VERA, incident.id, [appeal.id, appeal.id])
    assert [(x.appeal_id, x.origin, x.linked_by) for x in links] == [
        (appeal.id, LinkOrigin.MANUAL, VERA.user_id)
    ]
    with pytest.raises(IncidentHasAppeals):
        await town.incidents.delete(VERA, incident.id)
    other = await town.incidents.create(VERA, outage(town, title="Second"))
    with pytest.raises(AppealLinkedElsewhere):
        await town.incidents.link(VERA, other.id, [appeal.id])
    await town.incidents.unlink(VERA, incident.id, appeal.id)
    with pytest.raises(NotFound):
        await town.incidents.unlink(VERA, incident.id, appeal.id)
    await town.incidents.delete(VERA, incident.id)
    with pytest.raises(NotFound):
        await town.incidents.get(VERA, incident.id)


async def test_link_writes_nothing_when_one_appeal_is_unknown(town: Town) -> None:
    incident = await town.incidents.create(VERA, outage(town))
    appeal = await complaint_from(town, await customer(town, "P", city="Omsk"))
    with pytest.raises(NotFound):
        await town.incidents.link(VERA, incident.id, [appeal.id, uuid.uuid4()])
    assert await town.incidents.appeals(VERA, incident.id) == []


async def test_incident_work_is_refused_when_actor_lacks_the_right(
    town: Town,
) -> None:
    with pytest.raises(Forbidden):
        await town.incidents.create(ANNA, outage(town))
    incident = await town.incidents.create(VERA, outage(town))
    for attempt in (
        town.incidents.resolve(BORIS, incident.id, resolution="x"),
        town.incidents.link(ANNA, incident.id, []),
        town.incidents.delete(BORIS, incident.id),
    ):
        with pytest.raises(Forbidden):
            await attempt
    assert (await town.incidents.get(ANNA, incident.id)).status is IncidentStatus.OPEN


async def test_bad_draft_names_each_field_when_declared(town: Town) -> None:
    start = town.world.clock.now()
    with pytest.raises(ValidationFailed) as caught:
        await town.incidents.create(
            VERA,
            outage(town, title=" ", expected_end_at=start - timedelta(hours=1)),
        )
    assert [e.field for e in caught.value.errors] == ["title", "expected_end_at"]
    with pytest.raises(ValidationFailed):
        await town.incidents.resolve(
            VERA, (await town.incidents.create(VERA, outage(town))).id, resolution=" "
        )
    assert len(await town.incidents.find(VERA)) == 1


async def test_find_lists_latest_first_when_filtered_by_status(town: Town) -> None:
    old = await town.incidents.create(VERA, outage(town, title="old"))
    town.world.clock.advance(60)
    new = await town.incidents.create(
        VERA, outage(town, title="new", started_at=town.world.clock.now())
    )
    await town.incidents.resolve(VERA, old.id, resolution="done")
    assert [i.id for i in await town.incidents.find(ANNA)] == [new.id, old.id]
    resolved = await town.incidents.find(ANNA, status=IncidentStatus.RESOLVED)
    assert [i.id for i in resolved] == [old.id]
