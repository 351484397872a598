"""Screen-pop, wallboard and page-access views: plain asserts over plain data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from acd.events import AgentStateChanged, CallOffered, QueueStatsUpdated
from acd.model import AgentId, AgentState, QueueId
from agent_ui import views
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.customers.events import CallerIdentified, ContactOpened
from crm_core.customers.model import CustomerCard, CustomerId, CustomerKind, Phone
from ivr.events import IvrCompleted
from telephony.model import CallId

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CALL = "pbx1-1700000000.1"
ANI = "+79161234567"


def card(name: str, *, customer_id: uuid.UUID | None = None) -> CustomerCard:
    return CustomerCard(
        id=CustomerId(customer_id or uuid.uuid4()),
        kind=CustomerKind.PERSON,
        is_lead=False,
        name=name,
        category="standard",
        customer_group=None,
        account="ACC-1",
        balance=Decimal("-12.50"),
        phones=(Phone(raw="8 916 123-45-67", e164=ANI, is_primary=True),),
        emails=("anna@example.org",),
        sex=None,
        birth_date=None,
        city="Tver",
        district=None,
        building="12",
        network_node=None,
        addresses=(),
        products=(),
        equipment=(),
        preferred_channels=(),
        contact_persons=(),
        notes="prefers mornings",
        created_at=AT,
        updated_at=AT,
        converted_at=None,
    )


def actor(role: Role) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        login=role.value,
        role=role,
        permissions=ROLE_PERMISSIONS[role],
    )


def offer() -> CallOffered:
    return CallOffered(
        occurred_at=AT,
        call_id=CallId(CALL),
        queue_id=QueueId("billing"),
        agent_id=AgentId("a1"),
    )


def identified(*customer_ids: str) -> CallerIdentified:
    return CallerIdentified(
        occurred_at=AT,
        call_id=CALL,
        ani=ANI,
        customer_ids=customer_ids,
        contact_id="contact-1",
    )


def ivr_completed(customer_id: str | None = None) -> IvrCompleted:
    return IvrCompleted(
        occurred_at=AT,
        call_id=CALL,
        ani=ANI,
        customer_id=customer_id,
        outcome="queue",
        queue="billing",
        skills=("billing",),
        priority=0,
        language="ru",
        data={
            "handoff": {
                "flow": "main",
                "menu_path": ["billing", "balance"],
                "values": {"account": "ACC-1"},
                "recognised": [
                    {
                        "name": "topic",
                        "value": "balance",
                        "channel": "speech",
                        "confidence": 0.87,
                    },
                    {"name": "account", "value": "1", "channel": "dtmf"},
                ],
            },
            "journal": [],
        },
    )


def test_known_caller_pops_their_card_when_one_customer_holds_the_number() -> None:
    facts = views.fold_fact(None, identified("c1"))
    pop = views.screen_pop(offer(), facts, [card("Anna Petrova")])
    assert pop["caller"]["kind"] == "known"
    assert pop["caller"]["customer"]["name"] == "Anna Petrova"
    assert pop["caller"]["customer"]["balance"] == "-12.50"
    assert pop["caller"]["customer"]["address"] == "Tver, 12"
    assert pop["contact_id"] == "contact-1"
    assert pop["ani"] == ANI
    assert pop["call_id"] == CALL
    assert pop["offered_at"] == AT.isoformat()


def test_candidates_are_listed_when_several_customers_share_the_number() -> None:
    facts = views.fold_fact(None, identified("c1", "c2"))
    pop = views.screen_pop(offer(), facts, [card("Anna"), card("Boris")])
    assert pop["caller"]["kind"] == "candidates"
    assert [c["name"] for c in pop["caller"]["candidates"]] == ["Anna", "Boris"]


def test_new_customer_form_carries_the_number_when_the_caller_is_unknown() -> None:
    facts = views.fold_fact(None, identified())
    pop = views.screen_pop(offer(), facts, [])
    assert pop["caller"] == {
        "kind": "new",
        "form": {"phone": ANI, "name": "", "account": "", "notes": ""},
    }


def test_pop_is_an_unknown_caller_when_nothing_was_heard_about_the_call() -> None:
    pop = views.screen_pop(offer(), None, [])
    assert pop["caller"]["kind"] == "new"
    assert pop["contact_id"] is None
    assert pop["ivr"] is None


def test_ivr_data_is_in_the_pop_when_the_ivr_completed_first() -> None:
    facts = views.fold_fact(views.fold_fact(None, identified()), ivr_completed())
    pop = views.screen_pop(offer(), facts, [])
    assert pop["ivr"] == {
        "flow": "main",
        "outcome": "queue",
        "language": "ru",
        "queue": "billing",
        "menu_path": ["billing", "balance"],
        "values": {"account": "ACC-1"},
        "recognised": [
            {
                "name": "topic",
                "value": "balance",
                "channel": "speech",
                "confidence": 0.87,
            },
            {"name": "account", "value": "1", "channel": "dtmf", "confidence": None},
        ],
    }


def test_ivr_choice_narrows_candidates_when_the_caller_named_their_account() -> None:
    facts = views.fold_fact(None, identified("c1", "c2"))
    facts = views.fold_fact(facts, ivr_completed(customer_id="c2"))
    assert facts.customer_ids == ("c2",)


def test_identification_wins_over_the_contact_when_both_arrive() -> None:
    opened = ContactOpened(
        occurred_at=AT,
        contact_id="contact-1",
        customer_id="c1",
        channel="phone",
        call_id=CALL,
    )
    after_identified = views.fold_fact(views.fold_fact(None, identified()), opened)
    assert after_identified.customer_ids == ()
    assert after_identified.contact_id == "contact-1"
    contact_only = views.fold_fact(None, opened)
    assert contact_only.customer_ids == ("c1",)


def test_ivr_view_is_empty_when_the_ivr_left_no_handoff() -> None:
    event = IvrCompleted(
        occurred_at=AT,
        call_id=CALL,
        ani=ANI,
        customer_id=None,
        outcome="hangup",
        queue=None,
        skills=(),
        priority=0,
        language="en",
        data={"journal": []},
    )
    view = views.ivr_view(event)
    assert view["flow"] is None
    assert view["menu_path"] == []
    assert view["values"] == {}
    assert view["recognised"] == []


def test_recognised_answer_is_left_out_when_it_has_no_name_or_value() -> None:
    heard = views.recognised_views(
        [
            {"name": "topic", "value": "balance", "channel": "speech"},
            {"name": "account", "channel": "dtmf"},
            {"value": "7", "channel": "dtmf"},
            "not an answer",
            {"name": "ok", "value": "yes", "channel": 3, "confidence": True},
        ]
    )
    assert heard == [
        {"name": "topic", "value": "balance", "channel": "speech", "confidence": None},
        {"name": "ok", "value": "yes", "channel": "", "confidence": None},
    ]


def stats(*, answered: int, abandoned: int) -> QueueStatsUpdated:
    return QueueStatsUpdated(
        occurred_at=AT,
        queue_id=QueueId("billing"),
        waiting=3,
        longest_wait_s=42.26,
        answered=answered,
        abandoned=abandoned,
        abandoned_short=1,
        service_level=0.8,
        average_speed_of_answer_s=12.0,
        average_handle_time_s=180.0,
        agents_by_state=(("ready", 2), ("on_call", 5)),
        occupancy=0.7,
        agents_needed=6,
        interval_start=AT,
    )


@pytest.mark.parametrize(
    ("answered", "abandoned", "share"), [(9, 1, 0.1), (0, 0, None), (0, 2, 1.0)]
)
def test_abandonment_is_the_share_of_handled_calls_when_stats_arrive(
    answered: int, abandoned: int, share: float | None
) -> None:
    view = views.queue_stats_view(stats(answered=answered, abandoned=abandoned))
    assert view["abandonment"] == share
    assert view["waiting"] == 3
    assert view["longest_wait_s"] == 42.3
    assert view["agents_by_state"] == {"ready": 2, "on_call": 5}


def test_agent_state_view_names_the_states_when_an_agent_pauses() -> None:
    event = AgentStateChanged(
        occurred_at=AT,
        agent_id=AgentId("a1"),
        state=AgentState.PAUSED,
        previous=AgentState.READY,
        reason="lunch",
        queue_ids=(QueueId("billing"),),
    )
    assert views.agent_state_view(event) == {
        "agent_id": "a1",
        "at": AT.isoformat(),
        "state": "paused",
        "previous": "ready",
        "reason": "lunch",
        "queue_ids": ["billing"],
    }


def test_rooms_are_the_agents_own_and_the_wallboard_when_a_supervisor_joins() -> None:
    agent = actor(Role.AGENT)
    supervisor = actor(Role.SUPERVISOR)
    assert views.rooms_for(agent) == [f"agent:{agent.login}"]
    assert views.rooms_for(supervisor) == [
        f"agent:{supervisor.login}",
        f"supervisor:{supervisor.user_id}",
        views.WALLBOARD_ROOM,
    ]
    assert views.rooms_for(actor(Role.MARKETING)) == []


def test_rooms_are_the_pages_own_when_a_desktop_names_its_page() -> None:
    supervisor = actor(Role.SUPERVISOR)
    assert views.rooms_for(supervisor, views.Page.AGENT) == [
        f"agent:{supervisor.login}"
    ]
    assert views.rooms_for(supervisor, views.Page.WALLBOARD) == [
        f"supervisor:{supervisor.user_id}",
        views.WALLBOARD_ROOM,
    ]
    assert views.rooms_for(actor(Role.AGENT), views.Page.WALLBOARD) == []
    assert views.page_of("agent") is views.Page.AGENT
    assert views.page_of("elsewhere") is None
