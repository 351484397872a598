"""The rules over the queues and seats an administrator edits (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from acd.configuration import (
    Configuration,
    ConfigurationRefused,
    QueueInput,
    QueueInUse,
    SeatInput,
    queue_in_use,
    with_queue,
    with_seat,
    without_queue,
    without_seat,
)
from acd.model import ExitKind, Membership, OverflowKind, QueueExit, QueueId, Strategy
from crm_core.errors import ValidationFailed
from telephony.model import PbxId

PBXS = ("pbx1", "pbx2")


def _config() -> Configuration:
    return Configuration(
        queues=(
            QueueInput(queue_id="billing"),
            QueueInput(
                queue_id="sales",
                overflow_after_s=60,
                overflow_kind=OverflowKind.TO_QUEUE,
                overflow_queue="billing",
            ),
            QueueInput(queue_id="spare"),
        ),
        seats=(SeatInput(login="anna", endpoint="1001", queues={"billing": 0}),),
    )


def _fields(refused: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in refused.value.errors}


def test_queue_is_added_in_order_when_its_code_is_new() -> None:
    added = with_queue(_config(), QueueInput(queue_id="acme"), new=True)

    assert [q.queue_id for q in added.queues] == ["acme", "billing", "sales", "spare"]


def test_queue_is_refused_when_its_code_is_taken_or_its_overflow_goes_nowhere() -> None:
    queue = QueueInput(
        queue_id="billing",
        overflow_after_s=30,
        overflow_kind=OverflowKind.TO_QUEUE,
        overflow_queue="nowhere",
    )
    with pytest.raises(ValidationFailed) as refused:
        with_queue(_config(), queue, new=True)

    assert _fields(refused) == {
        "queue_id": "is taken",
        "overflow_queue": "no such queue",
    }


@pytest.mark.parametrize(
    ("overflow", "field"),
    [
        ({"overflow_after_s": 30}, "overflow_kind"),
        ({"overflow_kind": OverflowKind.OFFER_CALLBACK}, "overflow_after_s"),
        (
            {"overflow_after_s": 30, "overflow_kind": OverflowKind.TO_QUEUE},
            "overflow_queue",
        ),
        (
            {
                "overflow_after_s": 30,
                "overflow_kind": OverflowKind.TO_QUEUE,
                "overflow_queue": "billing",
            },
            "overflow_queue",
        ),
    ],
)
def test_overflow_is_refused_when_it_is_incomplete_or_circular(
    overflow: dict[str, object], field: str
) -> None:
    queue = QueueInput.model_validate({"queue_id": "billing", **overflow})

    with pytest.raises(ValidationFailed) as refused:
        with_queue(_config(), queue, new=False)

    assert list(_fields(refused)) == [field]


def test_queue_config_carries_the_strategy_timeouts_and_overflow_when_made() -> None:
    queue = QueueInput(
        queue_id="sales",
        strategy=Strategy.BEST_SKILL,
        ring_timeout_s=20,
        max_wait_s=300,
        wrap_up_s=5,
        service_level_s=30,
        overflow_after_s=60,
        overflow_kind=OverflowKind.TO_QUEUE,
        overflow_queue="billing",
    )

    config = queue.config()

    assert config.strategy is Strategy.BEST_SKILL
    assert (config.ring_timeout_s, config.max_wait_s) == (20, 300)
    assert (config.wrap_up_s, config.service_level_s) == (5, 30)
    [rule] = config.overflow
    assert (rule.after_s, rule.kind, rule.target_queue) == (
        60,
        OverflowKind.TO_QUEUE,
        "billing",
    )


def test_queue_in_use_says_why_when_seats_overflow_default_or_calls_hold_it() -> None:
    in_use = queue_in_use(_config(), "billing", default_queue="billing", waiting=2)

    assert in_use == QueueInUse(
        members=("anna",), overflow_from=("sales",), default=True, waiting=2
    )
    with pytest.raises(ConfigurationRefused) as refused:
        without_queue(_config(), "billing", in_use)
    assert refused.value.in_use == in_use


def test_queue_is_kept_when_an_ivr_flow_sends_calls_to_it() -> None:
    in_use = queue_in_use(
        _config(), "spare", default_queue=None, waiting=0, flows=["main-en"]
    )

    assert in_use == QueueInUse(flows=("main-en",))
    with pytest.raises(ConfigurationRefused):
        without_queue(_config(), "spare", in_use)


def test_queue_is_deleted_when_nothing_uses_it() -> None:
    in_use = queue_in_use(_config(), "spare", default_queue="billing", waiting=0)

    left = without_queue(_config(), "spare", in_use)

    assert not in_use
    assert [q.queue_id for q in left.queues] == ["billing", "sales"]


def test_seat_is_refused_when_its_queue_pbx_or_phone_is_wrong() -> None:
    seat = SeatInput(
        login="boris", endpoint="1001", pbx="pbx1", queues={"billing": 0, "gone": 1}
    )
    elsewhere = SeatInput(login="boris", endpoint="1002", pbx="pbx9")

    with pytest.raises(ValidationFailed) as refused:
        with_seat(_config(), seat, new=True, pbxs=PBXS)
    with pytest.raises(ValidationFailed) as unknown:
        with_seat(_config(), elsewhere, new=True, pbxs=PBXS)

    assert _fields(refused) == {
        "queues.gone": "no such queue",
        "endpoint": "is another seat's phone",
    }
    assert _fields(unknown) == {"pbx": "no such PBX"}


def test_seat_may_share_a_phone_number_when_it_is_on_another_pbx() -> None:
    seat = SeatInput(login="boris", endpoint="1001", pbx="pbx2")

    added = with_seat(_config(), seat, new=True, pbxs=PBXS)

    assert [s.login for s in added.seats] == ["anna", "boris"]


def test_seat_login_is_refused_when_taken_by_a_new_seat() -> None:
    seat = SeatInput(login="anna", endpoint="1009")

    with pytest.raises(ValidationFailed) as refused:
        with_seat(_config(), seat, new=True, pbxs=PBXS)

    assert _fields(refused) == {"login": "is taken"}


def test_seat_makes_the_agents_profile_with_penalties_when_served() -> None:
    seat = SeatInput(
        login="anna",
        endpoint="1001",
        skills={"billing": 5},
        languages=["ru"],
        queues={"billing": 0, "sales": 2},
    )

    served = seat.seat(PbxId("pbx1"))

    assert served.pbx_id == "pbx1"
    assert served.profile.memberships == (
        Membership(queue_id=QueueId("billing"), penalty=0),
        Membership(queue_id=QueueId("sales"), penalty=2),
    )
    assert dict(served.profile.skills) == {"billing": 5}
    assert served.profile.languages == frozenset({"ru"})


@pytest.mark.parametrize(
    "fields",
    [
        {"endpoint": "10 01"},
        {"endpoint": "1001@cc-agent"},
        {"skills": {"billing": 0}},
        {"queues": {"billing": -1}},
        {"languages": ["Russian"]},
        {"login": "two words"},
    ],
)
def test_seat_input_is_refused_when_a_field_is_malformed(
    fields: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        SeatInput.model_validate({"login": "anna", "endpoint": "1001", **fields})


def test_seat_is_kept_when_its_agent_is_logged_in() -> None:
    with pytest.raises(ConfigurationRefused) as refused:
        without_seat(_config(), "anna", logged_in=True)

    assert refused.value.logged_in
    assert without_seat(_config(), "anna", logged_in=False).seats == ()


def test_callers_past_the_longest_wait_go_to_the_queue_named_when_set() -> None:
    queue = QueueInput(
        queue_id="sales", max_wait_s=90, max_wait_exit=ExitKind.QUEUE,
        max_wait_queue="billing",
    )  # fmt: skip

    config = with_queue(_config(), queue, new=False)

    assert queue.config().on_max_wait == QueueExit(
        kind=ExitKind.QUEUE, target_queue=QueueId("billing")
    )
    in_use = queue_in_use(config, "billing", default_queue=None, waiting=0)
    assert in_use.overflow_from == ("sales",)


@pytest.mark.parametrize(
    ("target", "message"),
    [(None, "names the queue to overflow to"), ("spare", "cannot overflow to itself"),
     ("gone", "no such queue")],
)  # fmt: skip
def test_longest_wait_exit_is_refused_when_its_queue_is_missing_or_itself(
    target: str | None, message: str
) -> None:
    queue = QueueInput(
        queue_id="spare", max_wait_exit=ExitKind.QUEUE, max_wait_queue=target
    )

    with pytest.raises(ValidationFailed) as refused:
        with_queue(_config(), queue, new=False)

    assert _fields(refused) == {"max_wait_queue": message}


def test_voicemail_is_where_callers_go_past_the_longest_wait_by_default() -> None:
    assert QueueInput(queue_id="x").config().on_max_wait == QueueExit(
        kind=ExitKind.VOICEMAIL
    )
