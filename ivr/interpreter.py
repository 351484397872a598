"""The IVR interpreter: given a flow, a call's state and one input, the next state
and the one action the runner must carry out. Pure: no I/O, no clock, no logging.

    state, action = start(flow, call, now)
    state, action = step(flow, state, Digits(digits="1"), now)   # ... until terminal

Every step records its input once in the state's journal; the journal, the menu
path and the recognised values travel with the call (HandoffData). Reading answers
is in ivr.answers, filling prompts in ivr.prompting, the journal in ivr.journal.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from crm_core.rules.errors import RuleError
from ivr.answers import (
    CONFIRM_KEY,
    NO_WORDS,
    REDO_KEY,
    YES_WORDS,
    channel_of,
    confirm_answer,
    digits_heard,
    match_choice,
)
from ivr.dialogue import (
    Action,
    ActionDone,
    Ask,
    Callback,
    CallContext,
    CallerHungUp,
    EntryKind,
    Expect,
    Fallback,
    FlowState,
    HandoffData,
    Hangup,
    HangupReason,
    Input,
    Lookup,
    LookupResult,
    Phase,
    Play,
    Prompt,
    PromptFailed,
    Queue,
    Recognised,
    StoreReading,
    StoreSurveyAnswer,
    Transfer,
    Voicemail,
)
from ivr.journal import record_collected, record_fallback, record_input, record_note
from ivr.model import (
    BranchNode,
    CallbackNode,
    Choice,
    CollectNode,
    Flow,
    HangupNode,
    LookupNode,
    MenuNode,
    NodeId,
    PlayNode,
    PromptSpec,
    QueueNode,
    ReadingStore,
    SetNode,
    SurveyNode,
    TransferNode,
    VoicemailNode,
)
from ivr.prompting import lookup_params, render, render_prompts, rule_context
from ivr.speech_text import value_words

Result = tuple[FlowState, Action]


def start(flow: Flow, call: CallContext, now: datetime) -> Result:
    """The state of a new call and its first action."""
    state = FlowState(
        flow=flow.name,
        version=flow.version,
        call=call,
        node=flow.start,
        phase=Phase.PLAYING,
        language=flow.language,
    )
    return _enter(flow, state, flow.start, now)


def step(flow: Flow, state: FlowState, event: Input, now: datetime) -> Result:
    """Feed one input for the last action; returns the next state and action.

    Total: an input the current node does not expect counts as an invalid answer
    (or a failed lookup or action), so every call ends within flow.max_steps."""
    state = record_input(state, event, now)
    if state.phase is Phase.ENDED and state.last_action is not None:
        return state, state.last_action
    if isinstance(event, CallerHungUp):
        return _end(
            state, Hangup(reason=HangupReason.CALLER_HUNG_UP, data=handoff(state))
        )
    if state.steps >= flow.max_steps:
        state = record_fallback(state, now, Fallback.STEP_LIMIT, "step limit reached")
        return _enter(flow, state, flow.operator, now)
    if isinstance(event, PromptFailed) and state.phase in _PROMPTING:
        return _prompt_failed(flow, state, event, now)
    node = flow.nodes[state.node]
    match node:
        case PlayNode():
            return _enter(flow, state, node.next, now)
        case MenuNode():
            return _menu_input(flow, state, node, event, now)
        case CollectNode():
            return _collect_input(flow, state, node, event, now)
        case SurveyNode():
            return _survey_input(flow, state, node, event, now)
        case LookupNode():
            return _lookup_result(flow, state, node, event, now)
        case CallbackNode():
            return _enter(flow, _acted(state, event, now), node.next, now)
        case BranchNode() | SetNode() | QueueNode() | VoicemailNode():
            return _enter(flow, state, flow.operator, now)  # never waits for input
        case TransferNode() | HangupNode():
            return _enter(flow, state, flow.operator, now)  # never waits for input


_PROMPTING = (Phase.PLAYING, Phase.ASKING, Phase.CONFIRMING)


def handoff(state: FlowState) -> HandoffData:
    """What the IVR gathered so far, for the ACD and the screen-pop."""
    customer_id = state.call.customer.get("id")
    return HandoffData(
        flow=state.flow,
        version=state.version,
        customer_id=None if customer_id is None else str(customer_id),
        menu_path=state.menu_path,
        values=dict(state.values),
        recognised=state.recognised,
        last_node=state.node,
        fallback=state.fallback,
    )


# --- entering nodes -----------------------------------------------------------------


def _enter(flow: Flow, state: FlowState, node_id: NodeId, now: datetime) -> Result:
    """Move to `node_id` and run automatic nodes until one emits an action."""
    for _ in range(len(flow.nodes) + 1):
        state = dataclasses.replace(
            state,
            node=node_id,
            attempts=0,
            low_confidence=0,
            dtmf_only=False,
            heard=False,
            candidate="",
            candidate_confidence=None,
        )
        state = record_note(state, now, EntryKind.ENTERED, node_id)
        node = flow.nodes[node_id]
        match node:
            case BranchNode():
                node_id, state = _branch(flow, state, node, now)
            case SetNode():
                values = {**state.values}
                for name, template in node.values:
                    values[name] = render(flow, state, template, spoken=False)
                    state = record_note(
                        state, now, EntryKind.SET, name, value=values[name]
                    )
                state = dataclasses.replace(state, values=values)
                node_id = node.next
            case PlayNode() if not render_prompts(flow, state, node.prompts):
                state = record_note(state, now, EntryKind.FALLBACK, "nothing to say")
                node_id = node.next
            case _:
                return _action_of(flow, state, node)
    state = record_note(state, now, EntryKind.FALLBACK, "no prompt reached")
    return _terminal(flow, state, flow.nodes[flow.operator])


def _action_of(
    flow: Flow,
    state: FlowState,
    node: PlayNode
    | MenuNode
    | CollectNode
    | SurveyNode
    | LookupNode
    | CallbackNode
    | QueueNode
    | VoicemailNode
    | TransferNode
    | HangupNode,
) -> Result:
    match node:
        case PlayNode():
            prompts = render_prompts(flow, state, node.prompts)
            return _emit(state, Play(prompts=prompts), Phase.PLAYING)
        case MenuNode() | CollectNode() | SurveyNode():
            return _ask(flow, state, node, node.prompts)
        case LookupNode():
            lookup = Lookup(kind=node.lookup, params=lookup_params(state.call))
            return _emit(state, lookup, Phase.LOOKING_UP)
        case CallbackNode():
            number = render(flow, state, node.number, spoken=False)
            callback = Callback(number=number, queue=node.queue, data=handoff(state))
            return _emit(state, callback, Phase.ACTING)
        case QueueNode() | VoicemailNode() | TransferNode() | HangupNode():
            return _terminal(flow, state, node)


def _terminal(flow: Flow, state: FlowState, node: object) -> Result:
    data = handoff(state)
    match node:
        case QueueNode():
            skills = node.skills
            action: Action = Queue(
                queue=node.queue, skills=skills, priority=node.priority, data=data
            )
        case VoicemailNode():
            prompts = render_prompts(flow, state, node.prompts)
            action = Voicemail(
                topic=node.topic,
                prompts=prompts,
                max_duration_s=node.max_duration_s,
                data=data,
            )
        case TransferNode():
            action = Transfer(number=node.number, data=data)
        case _:
            action = Hangup(reason=HangupReason.FLOW_ENDED, data=data)
    return _end(state, action)


def _end(state: FlowState, action: Action) -> Result:
    return _emit(state, action, Phase.ENDED)


def _emit(state: FlowState, action: Action, phase: Phase) -> Result:
    pending: tuple[Prompt, ...] = ()
    if isinstance(action, Play | Ask):
        pending = action.prompts
    state = dataclasses.replace(state, phase=phase, last_action=action, pending=pending)
    return state, action


def _ask(
    flow: Flow,
    state: FlowState,
    node: MenuNode | CollectNode | SurveyNode,
    specs: tuple[PromptSpec, ...],
    *,
    confirming: bool = False,
) -> Result:
    prompts = render_prompts(flow, state, specs)
    action = Ask(
        prompts=prompts,
        expect=_expect(state, node, confirming=confirming),
        timeout_s=node.timeout_s,
        language=state.language,
    )
    return _emit(state, action, Phase.CONFIRMING if confirming else Phase.ASKING)


def _expect(
    state: FlowState, node: MenuNode | CollectNode | SurveyNode, *, confirming: bool
) -> Expect:
    speech_ok = not state.dtmf_only
    if confirming:
        words = YES_WORDS[state.language] + NO_WORDS[state.language]
        return Expect(dtmf=CONFIRM_KEY + REDO_KEY, grammar=words, speech=speech_ok)
    match node:
        case MenuNode():
            return _choice_expect(node.choices, speech=node.speech and speech_ok)
        case SurveyNode():
            speech = any(a.words for a in node.answers)
            return _choice_expect(node.answers, speech=speech and speech_ok)
        case CollectNode():
            speech = node.speech and speech_ok
            return Expect(
                dtmf="0123456789",
                grammar=_digit_grammar(state.language) if speech else None,
                speech=speech,
                min_digits=node.min_digits,
                max_digits=node.max_digits,
                terminator=node.terminator,
            )


def _choice_expect(choices: tuple[Choice, ...], *, speech: bool) -> Expect:
    keys = "".join(c.key for c in choices if c.key is not None)
    words = tuple(w for c in choices for w in c.words)
    return Expect(dtmf=keys, grammar=words if speech else None, speech=speech)


def _digit_grammar(language: str) -> tuple[str, ...]:
    return tuple(value_words(str(d), language, style="digits") for d in range(10))


# --- inputs at nodes that wait ------------------------------------------------------


def _menu_input(
    flow: Flow, state: FlowState, node: MenuNode, event: Input, now: datetime
) -> Result:
    choice, state, retry = match_choice(state, node, node.choices, event)
    if choice is None:
        return _retry(flow, state, node, retry, now, exhausted=node.default)
    channel, confidence = channel_of(event)
    state = record_note(
        state, now, EntryKind.CHOSEN, choice.label, value=choice.label,
        confidence=confidence, channel=channel,
    )  # fmt: skip
    recognised = Recognised(
        name=node.id, value=choice.label, channel=channel, confidence=confidence
    )
    state = dataclasses.replace(
        state,
        menu_path=(*state.menu_path, choice.label),
        recognised=(*state.recognised, recognised),
        fallback=None,
    )
    return _enter(flow, state, choice.goto, now)


def _survey_input(
    flow: Flow, state: FlowState, node: SurveyNode, event: Input, now: datetime
) -> Result:
    if state.phase is Phase.ACTING:
        return _enter(flow, _acted(state, event, now), node.next, now)
    answer, state, retry = match_choice(state, node, node.answers, event)
    if answer is None:
        return _retry(flow, state, node, retry, now, exhausted=node.next)
    channel, confidence = channel_of(event)
    state = record_collected(
        state, node.question, answer.label, channel, confidence, now
    )
    action = StoreSurveyAnswer(
        question=node.question,
        answer=answer.label,
        channel=channel,
        customer_id=handoff(state).customer_id,
        call_id=state.call.call_id,
    )
    return _emit(state, action, Phase.ACTING)


def _collect_input(
    flow: Flow, state: FlowState, node: CollectNode, event: Input, now: datetime
) -> Result:
    if state.phase is Phase.CONFIRMING:
        return _confirm_input(flow, state, node, event, now)
    if node.store is not None and state.phase is Phase.ACTING:
        return _reading_stored(flow, state, node, node.store, event, now)
    if node.store is not None and state.phase is Phase.PLAYING:
        return _enter(flow, state, node.store.on_error, now)  # heard why
    value, state, retry = digits_heard(state, node, event)
    if value is None:
        return _retry(flow, state, node, retry, now, exhausted=node.on_failure)
    channel, confidence = channel_of(event)
    if not node.confirm:
        state = record_collected(state, node.into, value, channel, confidence, now)
        return _enter(flow, state, node.next, now)
    state = dataclasses.replace(
        state,
        candidate=value,
        candidate_channel=channel,
        candidate_confidence=confidence,
    )
    return _ask(flow, state, node, node.confirm_prompts, confirming=True)


def _confirm_input(
    flow: Flow, state: FlowState, node: CollectNode, event: Input, now: datetime
) -> Result:
    answer = confirm_answer(state, node, event)
    if answer == "yes":
        state = record_collected(
            state,
            node.into,
            state.candidate,
            state.candidate_channel,
            state.candidate_confidence,
            now,
        )
        if node.store is not None:
            return _store_reading(flow, state, node, node.store, now)
        return _enter(flow, state, node.next, now)
    state = dataclasses.replace(state, attempts=state.attempts + 1)
    if state.attempts > node.retries:
        state = record_fallback(state, now, Fallback.NOT_CONFIRMED, "not confirmed")
        return _enter(flow, state, node.on_failure, now)
    if answer == "no":
        return _ask(flow, state, node, node.prompts)
    return _ask(flow, state, node, node.confirm_prompts, confirming=True)


def _store_reading(
    flow: Flow, state: FlowState, node: CollectNode, store: ReadingStore, now: datetime
) -> Result:
    """The confirmed reading goes to the CRM; a stranger's cannot."""
    customer_id = handoff(state).customer_id
    if customer_id is None:
        return _reading_failed(flow, state, store, "caller not identified", now)
    action = StoreReading(
        value=Decimal(state.values[node.into]),
        meter=store.meter,
        customer_id=customer_id,
    )
    return _emit(state, action, Phase.ACTING)


def _reading_stored(
    flow: Flow,
    state: FlowState,
    node: CollectNode,
    store: ReadingStore,
    event: Input,
    now: datetime,
) -> Result:
    if isinstance(event, ActionDone) and event.ok:
        state = record_note(state, now, EntryKind.STORED, node.into)
        return _enter(flow, state, node.next, now)
    why = event.detail if isinstance(event, ActionDone) and event.detail else ""
    return _reading_failed(flow, state, store, why or "not stored", now)


def _reading_failed(
    flow: Flow, state: FlowState, store: ReadingStore, why: str, now: datetime
) -> Result:
    """Tell the caller the reading was not saved, then go to the error exit."""
    state = record_fallback(state, now, Fallback.ACTION_FAILED, f"reading {why}")
    prompts = render_prompts(flow, state, store.failed_prompts)
    if not prompts:
        return _enter(flow, state, store.on_error, now)
    return _emit(state, Play(prompts=prompts), Phase.PLAYING)


def _retry(
    flow: Flow,
    state: FlowState,
    node: MenuNode | CollectNode | SurveyNode,
    why: str,
    now: datetime,
    *,
    exhausted: NodeId,
) -> Result:
    state = dataclasses.replace(state, attempts=state.attempts + 1)
    if state.attempts > node.retries:
        note = f"retries exhausted ({why})"
        state = record_fallback(state, now, _RETRY_FALLBACK[why], note)
        return _enter(flow, state, exhausted, now)
    prefix: tuple[PromptSpec, ...] = ()
    if isinstance(node, MenuNode):
        prefix = node.no_input_prompts if why == "no_input" else node.invalid_prompts
    return _ask(flow, state, node, prefix + node.prompts)


_RETRY_FALLBACK = {
    "no_input": Fallback.NO_INPUT,
    "invalid": Fallback.INVALID_INPUT,
    "low_confidence": Fallback.LOW_CONFIDENCE,
}


def _lookup_result(
    flow: Flow, state: FlowState, node: LookupNode, event: Input, now: datetime
) -> Result:
    if isinstance(event, LookupResult) and event.found:
        lookups = {**state.lookups, node.into: dict(event.fields)}
        state = dataclasses.replace(state, lookups=lookups)
        state = record_note(state, now, EntryKind.LOOKUP, f"{node.lookup} found")
        return _enter(flow, state, node.next, now)
    state = record_note(state, now, EntryKind.LOOKUP, f"{node.lookup} not found")
    return _enter(flow, state, node.on_failure, now)


def _acted(state: FlowState, event: Input, now: datetime) -> FlowState:
    if isinstance(event, ActionDone) and event.ok:
        return state
    note = "action not carried out"
    if isinstance(event, ActionDone) and event.detail:
        note += f": {event.detail}"
    return record_fallback(state, now, Fallback.ACTION_FAILED, note)


def _prompt_failed(
    flow: Flow, state: FlowState, event: PromptFailed, now: datetime
) -> Result:
    """Play what is left after the failed prompt; if the caller heard nothing of
    this node, hand over to the operator rather than leave them in silence."""
    index = min(max(event.index, 0), max(len(state.pending) - 1, 0))
    heard = state.heard or index > 0
    remaining = state.pending[index + 1 :]
    state = dataclasses.replace(state, heard=heard)
    last = state.last_action
    if remaining and isinstance(last, Play | Ask):
        return _emit(state, dataclasses.replace(last, prompts=remaining), state.phase)
    if not heard:
        note = f"prompt failed: {event.reason}"
        state = record_fallback(state, now, Fallback.PROMPT_FAILED, note)
        return _enter(flow, state, flow.operator, now)
    if isinstance(last, Ask):
        return _emit(state, dataclasses.replace(last, prompts=()), state.phase)
    return _enter(flow, state, _after_play(flow, state.node), now)


def _after_play(flow: Flow, node_id: NodeId) -> NodeId:
    """Where a node goes once its Play is over: a play node's next; a collect
    node plays only why its reading was not stored."""
    match flow.nodes[node_id]:
        case PlayNode() as node:
            return node.next
        case CollectNode(store=ReadingStore() as store):
            return store.on_error
        case _:
            return flow.operator


# --- branch -------------------------------------------------------------------------


def _branch(
    flow: Flow, state: FlowState, node: BranchNode, now: datetime
) -> tuple[NodeId, FlowState]:
    context = rule_context(flow, state, now)
    for case in node.cases:
        try:
            holds = case.rule.holds(context)
        except RuleError as error:
            note = f"rule {case.rule.source!r}: {error.reason}"
            state = record_note(state, now, EntryKind.FALLBACK, note)
            continue
        if holds:
            return case.goto, record_note(
                state, now, EntryKind.BRANCH, case.rule.source
            )
    return node.otherwise, record_note(state, now, EntryKind.BRANCH, "else")
