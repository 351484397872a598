"""The pure IVR interpreter: table-driven walks through the demo flow and
hypothesis invariants (every call ends; each input is journalled once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.dialogue import (
    TERMINAL,
    Action,
    ActionDone,
    Ask,
    CallContext,
    CallerHungUp,
    Digits,
    EntryKind,
    Fallback,
    FlowState,
    Hangup,
    HangupReason,
    Input,
    Lookup,
    LookupResult,
    NoInput,
    Play,
    Played,
    PromptFailed,
    Queue,
    SoundFile,
    Speech,
    StoreReading,
    StoreSurveyAnswer,
    Tts,
    Voicemail,
)
from ivr.flow import parse_hours
from ivr.interpreter import start, step
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.model import Calendar, Channel, Flow

OPEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 12:00 in Moscow
SUNDAY = datetime(2026, 1, 11, 9, 0, tzinfo=UTC)
CALL = CallContext(
    call_id="c-1",
    caller="79161234567",
    dialled="8800",
    customer={"id": "42", "name": "Anna", "vip": True},
)


def demo(name: str = "main-en") -> Flow:
    registry = FlowRegistry()
    registry.load_directory(DEMO_FLOWS)
    flow = registry.current(name)
    assert flow is not None
    return flow


def run(
    flow: Flow,
    inputs: Sequence[Input],
    *,
    now: datetime = OPEN,
    call: CallContext = CALL,
) -> tuple[FlowState, list[Action]]:
    state, action = start(flow, call, now)
    actions = [action]
    for event in inputs:
        state, action = step(flow, state, event, now)
        actions.append(action)
    return state, actions


NO_OUTAGE = LookupResult(found=True, fields={"active": False})


@pytest.mark.parametrize(
    ("inputs", "queue", "path"),
    [
        ([NO_OUTAGE, Played(), Digits(digits="2")], "support", ("support",)),
        (
            [NO_OUTAGE, Played(), Speech(text="I want sales", confidence=0.9)],
            "sales",
            ("sales",),
        ),
        (
            [NO_OUTAGE, Played(), NoInput(), Digits(digits="9"), NoInput()],
            "general",
            (),
        ),
        ([NO_OUTAGE, Played(), Digits(digits="0")], "general", ("operator",)),
        (
            [
                NO_OUTAGE,
                Played(),
                Digits(digits="1"),
                LookupResult(found=False),
            ],
            "billing",
            ("billing",),
        ),
    ],
)
def test_caller_reaches_the_queue_when_choosing_by_key_or_speech(
    inputs: list[Input], queue: str, path: tuple[str, ...]
) -> None:
    _, actions = run(demo(), inputs)
    last = actions[-1]
    assert isinstance(last, Queue)
    assert last.queue == queue
    assert last.data.menu_path == path
    assert last.data.customer_id == "42"


def test_balance_is_spoken_in_words_when_the_lookup_finds_it() -> None:
    amount = LookupResult(found=True, fields={"amount": Decimal("1234.50")})
    _, actions = run(demo("main-ru"), [NO_OUTAGE, Played(), Digits(digits="1"), amount])
    assert actions[-1] == Play(
        prompts=(
            Tts(
                text="Ваш баланс: одна тысяча двести тридцать четыре рубля "
                "пятьдесят копеек.",
                language="ru",
            ),
        )
    )


def test_outage_is_announced_before_the_menu_when_one_is_active() -> None:
    outage = LookupResult(
        found=True, fields={"active": True, "text": "No water in building 5."}
    )
    _, actions = run(demo(), [outage])
    assert isinstance(actions[0], Lookup)
    first = actions[1]
    assert isinstance(first, Play)
    assert first.prompts[0] == Tts(
        text="No water in building five. Expected end: .", language="en"
    )


def test_caller_goes_to_voicemail_when_the_office_is_closed() -> None:
    weekdays_only = Calendar(
        zone=ZoneInfo("Europe/Moscow"),
        hours=parse_hours({"mon-fri": "08:00-20:00"}),
        holidays=frozenset(),
    )
    flow = dataclasses.replace(demo(), calendar=weekdays_only)
    _, actions = run(flow, [Played()], now=SUNDAY)
    assert isinstance(actions[-1], Voicemail)


def test_meter_reading_is_stored_when_confirmed_after_speech() -> None:
    state, actions = run(
        demo(),
        [
            NO_OUTAGE,
            Played(),
            Digits(digits="4"),
            Speech(text="one two three four", confidence=0.8),
            Digits(digits="1"),
        ],
    )
    assert state.values["meter_reading"] == "1234"
    confirm = actions[-2]
    assert isinstance(confirm, Ask)
    assert confirm.prompts[0] == Tts(
        text="You entered one two three four. Press one or say yes to confirm, "
        "press two or say no to enter it again.",
        language="en",
    )
    [reading] = [r for r in state.recognised if r.name == "meter_reading"]
    assert (reading.channel, reading.confidence) == (Channel.SPEECH, 0.8)
    assert actions[-1] == StoreReading(
        value=Decimal(1234), meter="main", customer_id="42"
    )


READING: list[Input] = [NO_OUTAGE, Played(), Digits(digits="4"), Digits(digits="987#")]


def test_thanks_are_played_when_the_confirmed_reading_is_stored() -> None:
    state, actions = run(demo(), [*READING, Digits(digits="1"), ActionDone()])
    assert actions[-2] == StoreReading(
        value=Decimal(987), meter="main", customer_id="42"
    )
    thanks = actions[-1]
    assert isinstance(thanks, Play)
    assert thanks.prompts == (
        Tts(text="Thank you, your reading is saved.", language="en"),
    )
    assert [e.detail for e in state.journal if e.kind is EntryKind.STORED] == [
        "meter_reading"
    ]


def test_caller_hears_why_then_reaches_operator_when_the_reading_is_not_stored() -> (
    None
):
    refused = ActionDone(ok=False, detail="refused: lower_than_previous")
    state, actions = run(demo(), [*READING, Digits(digits="1"), refused])
    sorry = actions[-1]
    assert sorry == Play(
        prompts=(
            Tts(
                text="Sorry, we could not save your reading. Connecting you to an "
                "operator.",
                language="en",
            ),
        )
    )
    assert state.fallback is Fallback.ACTION_FAILED
    assert "lower_than_previous" in state.journal[-1].detail
    state, action = step(demo(), state, Played(), OPEN)
    assert isinstance(action, Queue)
    assert (action.queue, action.data.fallback) == ("general", Fallback.ACTION_FAILED)


def test_operator_is_reached_when_the_not_saved_notice_cannot_play() -> None:
    state, _ = run(
        demo("main-ru"), [*READING, Digits(digits="1"), ActionDone(ok=False)]
    )
    _, action = step(demo("main-ru"), state, PromptFailed(index=0, reason="tts"), OPEN)
    assert isinstance(action, Queue)
    assert action.queue == "general"


def test_reading_is_not_sent_when_the_caller_is_a_stranger() -> None:
    stranger = dataclasses.replace(CALL, customer={})
    _, actions = run(demo(), [*READING, Digits(digits="1")], call=stranger)
    assert not any(isinstance(a, StoreReading) for a in actions)
    sorry = actions[-1]
    assert isinstance(sorry, Play)
    assert isinstance(sorry.prompts[0], Tts)
    assert sorry.prompts[0].text.startswith("Sorry, we could not save")


def test_digits_are_asked_again_when_the_caller_says_no_to_the_read_back() -> None:
    state, actions = run(
        demo(),
        [
            NO_OUTAGE,
            Played(),
            Digits(digits="4"),
            Digits(digits="55#"),
            Digits(digits="2"),
        ],
    )
    assert "meter_reading" not in state.values
    again = actions[-1]
    assert isinstance(again, Ask)
    assert again.expect.max_digits == 8


def test_menu_asks_by_keypad_only_when_speech_confidence_stays_low() -> None:
    low = Speech(text="billing", confidence=0.2)
    _, actions = run(demo(), [NO_OUTAGE, Played(), low, low])
    first, second = actions[-2], actions[-1]
    assert isinstance(first, Ask)
    assert isinstance(second, Ask)
    assert first.expect.speech
    assert not second.expect.speech
    assert second.expect.dtmf == "12340"


TWO_PROMPTS: dict[str, object] = {
    "flow": "two-prompts",
    "language": "en",
    "numbers": ["7000"],
    "start": "main",
    "operator": "operator",
    "nodes": {
        "main": {
            "kind": "menu",
            "prompt": [{"file": "cc/test/menu"}, {"say": "Press 1 for billing."}],
            "choices": [{"key": "1", "goto": "operator", "label": "billing"}],
            "default": "operator",
        },
        "operator": {"kind": "queue", "queue": "general"},
    },
}


def two_prompts() -> Flow:
    return FlowRegistry().publish(TWO_PROMPTS, source="api:test")


def test_next_prompt_plays_when_a_sound_file_is_missing() -> None:
    _, actions = run(two_prompts(), [PromptFailed(index=0, reason="no file")])
    retry = actions[-1]
    assert isinstance(retry, Ask)
    assert retry.prompts == (Tts(text="Press one for billing.", language="en"),)


def test_caller_reaches_the_operator_when_no_prompt_of_a_node_can_play() -> None:
    _, actions = run(
        two_prompts(),
        [
            PromptFailed(index=0, reason="no file"),
            PromptFailed(index=0, reason="tts failed"),
        ],
    )
    last = actions[-1]
    assert isinstance(last, Queue)
    assert last.queue == "general"


def test_menu_file_carries_its_text_when_the_flow_gives_one() -> None:
    _, actions = run(demo(), [NO_OUTAGE, Played()])
    menu = actions[-1]
    assert isinstance(menu, Ask)
    [prompt] = menu.prompts
    assert prompt == SoundFile(
        name="cc/en/main-menu",
        text=Tts(
            text="For billing press one or say billing. Technical support, two. "
            "Sales, three. Meter reading, four. Operator, zero.",
            language="en",
        ),
    )


def test_survey_answer_is_stored_when_the_caller_answers() -> None:
    state, actions = run(
        demo(),
        [
            NO_OUTAGE,
            Played(),
            Digits(digits="1"),
            LookupResult(found=True, fields={"amount": Decimal(5)}),
            Played(),
            Digits(digits="2"),
            Speech(text="four", confidence=0.9),
        ],
    )
    store = actions[-1]
    assert store == StoreSurveyAnswer(
        question="satisfaction",
        answer="4",
        channel=Channel.SPEECH,
        customer_id="42",
        call_id="c-1",
    )
    state, action = step(demo(), state, ActionDone(), OPEN)
    assert isinstance(action, Play)


def test_journal_records_where_the_caller_left_when_they_hang_up() -> None:
    state, actions = run(demo(), [NO_OUTAGE, Played(), CallerHungUp()])
    last = actions[-1]
    assert isinstance(last, Hangup)
    assert last.reason is HangupReason.CALLER_HUNG_UP
    assert last.data.last_node == "main"
    assert state.journal[-1].detail == "CallerHungUp"


@pytest.mark.parametrize(
    ("answers", "fallback"),
    [
        ([NoInput(), NoInput(), NoInput()], Fallback.NO_INPUT),
        (
            [Digits(digits="*"), Digits(digits="9"), Digits(digits="#")],
            Fallback.INVALID_INPUT,
        ),
        (
            [NoInput(), Digits(digits="9"), Digits(digits="*")],
            Fallback.INVALID_INPUT,
        ),
    ],
    ids=["silence", "garbage", "silence-then-garbage"],
)
def test_hand_off_names_why_the_caller_reached_the_operator_when_menu_fails(
    answers: list[Input], fallback: Fallback
) -> None:
    _, actions = run(demo(), [NO_OUTAGE, Played(), *answers])
    last = actions[-1]
    assert isinstance(last, Queue)
    assert last.queue == "general"
    assert last.data.last_node == "operator"
    assert last.data.fallback is fallback


def test_fallback_is_forgotten_when_the_caller_answers_after_it() -> None:
    state, _ = run(
        demo(),
        [NO_OUTAGE, Played(), Digits(digits="1"), LookupResult(found=True), Played()],
    )
    state, action = step(demo(), state, NoInput(), OPEN)
    state, action = step(demo(), state, NoInput(), OPEN)
    state, action = step(demo(), state, NoInput(), OPEN)
    assert state.fallback is Fallback.NO_INPUT  # billing menu gave up: survey
    state, action = step(demo(), state, Digits(digits="5"), OPEN)
    assert isinstance(action, StoreSurveyAnswer)
    assert state.fallback is None


def test_ended_call_stays_ended_when_more_input_arrives() -> None:
    state, actions = run(demo(), [NO_OUTAGE, Played(), Digits(digits="3")])
    again, action = step(demo(), state, Digits(digits="1"), OPEN)
    assert action == actions[-1]
    assert len(again.journal) == len(state.journal) + 1


inputs = st.one_of(
    st.builds(Digits, digits=st.text("0123456789*#", max_size=4)),
    st.builds(
        Speech,
        text=st.sampled_from(
            ["", "billing", "sales", "yes", "no", "one two", "да", "два"]
        ),
        confidence=st.floats(0, 1),
    ),
    st.just(NoInput()),
    st.just(Played()),
    st.builds(PromptFailed, index=st.integers(0, 3), reason=st.just("x")),
    st.builds(
        LookupResult,
        found=st.booleans(),
        fields=st.just({"active": False, "amount": Decimal("1.5")}),
    ),
    st.builds(ActionDone, ok=st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(
    flow_name=st.sampled_from(["main-en", "main-ru"]),
    events=st.lists(inputs, max_size=400),
    sunday=st.booleans(),
)
def test_call_ends_within_the_step_limit_when_fed_any_inputs(
    flow_name: str, events: list[Input], sunday: bool
) -> None:
    flow = FLOWS[flow_name]
    now = SUNDAY if sunday else OPEN
    state, action = start(flow, CALL, now)
    for count, event in enumerate(events, start=1):
        if isinstance(action, TERMINAL):
            break
        state, action = step(flow, state, event, now)
        assert count <= flow.max_steps
        inputs_seen = [e for e in state.journal if e.kind is EntryKind.INPUT]
        assert len(inputs_seen) == count
        assert inputs_seen[-1].detail == type(event).__name__
    else:
        state, action = step(flow, state, CallerHungUp(), now)
    assert isinstance(action, TERMINAL)


@settings(max_examples=50, deadline=None)
@given(events=st.lists(st.just(NoInput()) | st.just(Played()), min_size=1))
def test_call_reaches_a_hand_off_when_the_caller_never_answers(
    events: list[Input],
) -> None:
    flow = FLOWS["main-en"]
    state, action = start(flow, CALL, OPEN)
    steps = 0
    while not isinstance(action, TERMINAL):
        state, action = step(flow, state, events[steps % len(events)], OPEN)
        steps += 1
        assert steps <= flow.max_steps
    assert not isinstance(action, Hangup) or action.reason is HangupReason.FLOW_ENDED


FLOWS = {name: demo(name) for name in ("main-en", "main-ru")}
