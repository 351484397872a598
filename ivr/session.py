"""The IVR runner: drives the interpreter over one FastAGI session (identify the
caller, play, ask, look up, record, hand off) and publishes IvrCompleted. Keeps no
flow logic of its own; one session's failure never reaches another. What it is
built from is in ivr.parts; its CRM requests go through ivr.call_crm."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from ivr.call_crm import CallCrm
from ivr.crm_port import CallerInfo
from ivr.dialogue import (
    TERMINAL,
    Action,
    Ask,
    Callback,
    CallContext,
    CallerHungUp,
    Digits,
    FlowState,
    Hangup,
    HangupReason,
    Input,
    Lookup,
    NoInput,
    Play,
    Played,
    Prompt,
    PromptFailed,
    Queue,
    Speech,
    StoreReading,
    StoreSurveyAnswer,
    Transfer,
    Voicemail,
)
from ivr.events import IvrCompleted, JsonValue
from ivr.fallback import greet_and_queue
from ivr.handoff import (
    Ending,
    Outcome,
    completed,
    completed_by,
    queue_variables,
)
from ivr.interpreter import handoff, start, step
from ivr.messages import record_message
from ivr.model import Flow, LookupKind, QueueNode
from ivr.parts import IvrParts
from ivr.playing import Prompter, Speaking, Unplayed
from ivr.ports import CallIdOf, Recogniser, RecogniserFailed
from telephony.agi import AgiSession
from telephony.dialplan import (
    OUTBOUND_CONTEXT,
    QUEUE_VARIABLE,
    WAIT_CONTEXT,
    WAIT_EXTEN,
)
from telephony.errors import AgiHangup

log = logging.getLogger(__name__)


async def run_flow(session: AgiSession, parts: IvrParts) -> None:
    """Serve one inbound call: identify the caller, run the flow for the dialled
    number to its end, hand the call over, and publish IvrCompleted. Never raises
    for the caller's hang-up or the runner's own failure (the caller then goes to
    the operator queue)."""
    await _Runner(session, parts).run()


def dialled_number(session: AgiSession) -> str:
    request = session.request
    if request.extension and request.extension != "s":
        return request.extension
    return request.dnid


class _Runner:
    def __init__(self, session: AgiSession, parts: IvrParts) -> None:
        self.session = session
        self.flows = parts.flows
        self.tts = parts.tts
        self.asr = parts.asr
        self.publisher = parts.publish
        self.clock = parts.clock
        self.config = parts.config
        request = session.request
        self.call_id = _call_id(parts.call_id_of, request.uniqueid)
        self.ani = request.callerid
        self.caller = CallerInfo(ani=self.ani)
        self.flow: Flow | None = None
        self.state: FlowState | None = None
        self.speech_ok = parts.asr is not None
        self.recordings = 0
        self.outage_pending = False
        self.details: dict[str, JsonValue] = {
            "channel": request.channel,
            "uniqueid": request.uniqueid,
        }
        if request.arguments and request.arguments[0]:
            # AGI(agi://.../inbound,${CHANNEL(linkedid)}): the telephony call's key
            self.details["linkedid"] = request.arguments[0]
        self.crm = CallCrm(
            crm=parts.crm,
            call_id=self.call_id,
            timeout_s=parts.config.crm_timeout_s,
            details=self.details,
        )
        self.published = False
        self.doing = Ending.HUNG_UP
        """How the call ends if the caller hangs up now (what the PBX is doing)."""
        self.hung_up_at: Ending | None = None
        self.prompter = Prompter(
            session,
            Speaking(
                tts=parts.tts,
                tts_timeout_s=parts.config.tts_timeout_s,
                notices=parts.config.notices,
            ),
            who=f"call_id={self.call_id}",
        )

    # --- the call ---------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._serve()
        except AgiHangup:
            await self._left_early()
        except Exception:
            log.exception(
                "IVR failed call_id=%s ani=%s node=%s",
                self.call_id,
                self.ani,
                None if self.state is None else self.state.node,
            )
            await self._rescue()

    async def _serve(self) -> None:
        self.caller = await self._identify()
        flow = self.flows.flow_for(dialled_number(self.session))
        if flow is None:
            await self._fallback()
            return
        self.flow = flow
        call = CallContext(
            call_id=self.call_id,
            caller=self.ani,
            dialled=dialled_number(self.session),
            customer=self.caller.customer_fields(),
        )
        await self.session.answer()
        state, action = start(flow, call, self.clock.now())
        self.state = state
        while not isinstance(action, TERMINAL):
            try:
                event = await self._carry_out(action)
            except AgiHangup as exc:
                log.info(
                    "caller hung up call_id=%s node=%s: %s",
                    self.call_id,
                    state.node,
                    exc,
                )
                self.hung_up_at = self.doing
                event = CallerHungUp()
            state, action = step(flow, state, event, self.clock.now())
            self.state = state
        await self._finish(action)

    async def _identify(self) -> CallerInfo:
        if not self.ani:
            return CallerInfo(ani="")
        return await self.crm.caller(self.ani)

    async def _fallback(self) -> None:
        log.info(
            "no IVR flow for dialled=%s call_id=%s; default greeting",
            dialled_number(self.session),
            self.call_id,
        )
        await greet_and_queue(self.prompter)
        queue = await self.session.get_variable(QUEUE_VARIABLE)
        await self._publish(
            completed(
                at=self.clock.now(),
                call_id=self.call_id,
                ani=self.ani,
                customer_id=self._customer_id(),
                outcome=Outcome.FALLBACK,
                language=self.session.request.language,
                queue=queue,
                details=self.details,
            )
        )

    # --- actions ----------------------------------------------------------------

    async def _carry_out(self, action: Action) -> Input:
        match action:
            case Play():
                return await self._play_action(action)
            case Ask():
                return await self._ask(action)
            case Lookup():
                return await self._lookup(action)
            case Callback():
                return await self.crm.callback(action, ani=self.ani)
            case StoreSurveyAnswer():
                return await self.crm.survey(action)
            case StoreReading():
                return await self.crm.store_reading(action, at=self.clock.now())
            case Queue() | Voicemail() | Transfer() | Hangup():
                raise AssertionError("terminal actions are finished, not carried out")

    async def _play_action(self, action: Play) -> Input:
        result = await self._play(action.prompts, action.barge_in)
        if isinstance(result, PromptFailed):
            self.outage_pending = False  # the notice, if this was it, went unheard
        else:
            await self._outage_heard()
        if isinstance(result, str):
            return Digits(digits=result)
        return result

    async def _play(
        self, prompts: tuple[Prompt, ...], barge_in: str
    ) -> str | Played | PromptFailed:
        """Play `prompts` in order: the key that interrupted them, Played, or the
        first prompt that could not be played."""
        for index, prompt in enumerate(prompts):
            self.doing = Ending.HUNG_UP_MID_PROMPT
            digit = await self.prompter.play_or_not(prompt, barge_in)
            self.doing = Ending.HUNG_UP
            if isinstance(digit, Unplayed):
                return PromptFailed(index=index, reason=digit.reason)
            if digit is not None:
                return digit
        return Played()

    async def _ask(self, action: Ask) -> Input:
        """Prompts interruptible by the expected keys, then an utterance (speech)
        or keys: the last prompt goes through GET DATA so keys end it."""
        expect = action.expect
        keys = expect.dtmf + expect.terminator
        languages = self.config.speech_languages
        listen = (
            expect.speech
            and self.speech_ok
            and self.asr is not None
            and (languages is None or action.language in languages)
        )
        prompts = action.prompts
        head = prompts if listen or not prompts else prompts[:-1]
        played = await self._play(head, keys)
        if isinstance(played, PromptFailed):
            return played
        if isinstance(played, str):
            return await self._more_digits(action, played)
        if listen and self.asr is not None:
            return await self._listen(action, self.asr)
        last = None if len(head) == len(prompts) else prompts[-1]
        return await self._get_digits(action, last, "")

    async def _more_digits(self, action: Ask, first: str) -> Input:
        """The keys after `first` (which interrupted a prompt or a recording)."""
        expect = action.expect
        if expect.terminator and first == expect.terminator:
            return Digits(digits="")
        if expect.max_digits <= 1:
            return Digits(digits=first)
        return await self._get_digits(action, None, first)

    async def _get_digits(
        self, action: Ask, prompt: Prompt | None, first: str
    ) -> Input:
        """GET DATA with `prompt` (the Ask's last one) or none: up to the expected
        count, `#` ending early; NoInput when nothing was pressed within the
        timeout, PromptFailed when the prompt could not be played."""
        wanted = max(action.expect.max_digits - len(first), 1)
        self.doing = Ending.HUNG_UP_MID_INPUT
        result = await self.prompter.get_data(
            prompt, int(action.timeout_s * 1000), wanted
        )
        self.doing = Ending.HUNG_UP
        if isinstance(result, Unplayed):
            return PromptFailed(index=len(action.prompts) - 1, reason=result.reason)
        digits = first + result.digits
        return Digits(digits=digits) if digits else NoInput()

    async def _listen(self, action: Ask, asr: Recogniser) -> Input:
        """Record one utterance (a key ends it) and recognise it; keypad only for
        the rest of the call when the recogniser fails."""
        expect = action.expect
        target = self._recording_path("utterance")
        local = _wav(self.config.local(target))
        try:
            self.doing = Ending.HUNG_UP_MID_RECORDING
            recorded = await self.session.record_file(
                str(target),
                "wav",
                expect.dtmf + expect.terminator or "#",
                int(min(action.timeout_s + self.config.utterance_max_s, 60) * 1000),
                silence_s=self.config.utterance_silence_s,
            )
            self.doing = Ending.HUNG_UP
            if recorded.digit is not None:
                return await self._more_digits(action, recorded.digit)
            if recorded.end_position == 0:
                return NoInput()
            try:
                async with asyncio.timeout(self.config.asr_timeout_s):
                    heard = await asr.recognise(
                        local, grammar=expect.grammar, language=action.language
                    )
            except Exception as exc:  # RecogniserFailed, a timeout, or a crash
                self.speech_ok = False
                expected = isinstance(exc, RecogniserFailed | TimeoutError)
                log.log(
                    logging.WARNING if expected else logging.ERROR,
                    "speech off for call_id=%s (keypad from now on): %r",
                    self.call_id,
                    exc,
                    exc_info=not expected,
                )
                return await self._get_digits(action, None, "")
            return Speech(text=heard.text, confidence=heard.confidence)
        finally:
            local.unlink(missing_ok=True)

    def _recording_path(self, what: str) -> Path:
        self.recordings += 1
        call = re.sub(r"[^\w\-]", "-", self.call_id)
        name = f"{what}-{call}-{self.recordings}"
        return self.config.recordings_dir / name

    async def _lookup(self, action: Lookup) -> Input:
        result = await self.crm.lookup(action, self.caller)
        if (
            action.kind is LookupKind.OUTAGE
            and result.found
            and result.fields.get("active") is True
            and self.caller.outage is not None
        ):
            self.outage_pending = True
        return result

    async def _outage_heard(self) -> None:
        """The outage notice was just played: the call records it once."""
        outage = self.caller.outage
        if not self.outage_pending or outage is None:
            return
        self.outage_pending = False
        await self.crm.outage_heard(outage.outage_id)

    # --- ways out ---------------------------------------------------------------

    async def _finish(self, action: Queue | Voicemail | Transfer | Hangup) -> None:
        journal = () if self.state is None else self.state.journal
        language = self.state.language if self.state is not None else ""
        if not isinstance(action, Hangup):
            try:
                await self._hand_over(action)
            except AgiHangup:
                self.hung_up_at = Ending.HUNG_UP
                self.details["handed_over"] = type(action).__name__.lower()
                action = Hangup(reason=HangupReason.CALLER_HUNG_UP, data=action.data)
        elif action.reason is HangupReason.FLOW_ENDED:
            await self.session.hangup()
        await self._publish(
            completed_by(
                action,
                at=self.clock.now(),
                call_id=self.call_id,
                ani=self.ani,
                language=language,
                journal=journal,
                ended=self.hung_up_at,
                details=self.details,
            )
        )

    async def _hand_over(self, action: Queue | Voicemail | Transfer) -> None:
        match action:
            case Queue():
                await self._to_queue(action.queue, action.skills, action.priority)
            case Voicemail():
                await self._voicemail(action)
            case Transfer():
                await self.session.set_context(OUTBOUND_CONTEXT)
                await self.session.set_extension(action.number)
                await self.session.set_priority(1)

    async def _to_queue(
        self, queue: str, skills: tuple[str, ...], priority: int
    ) -> None:
        state, caller = self.state, self.caller
        values = queue_variables(
            queue,
            skills,
            priority,
            language=state.language if state is not None else "",
            category="vip" if caller.vip else caller.category,
        )
        for name, value in values:
            await self.session.set_variable(name, value)
        await self.session.set_context(WAIT_CONTEXT)
        await self.session.set_extension(WAIT_EXTEN)
        await self.session.set_priority(1)

    async def _voicemail(self, action: Voicemail) -> None:
        played = await self._play(action.prompts, "")
        if isinstance(played, PromptFailed):
            log.warning(
                "voicemail prompt failed call_id=%s: %s", self.call_id, played.reason
            )
        target = self._recording_path("voicemail")
        recorded = await record_message(
            self.session,
            target,
            local=self.config.local(target),
            max_s=action.max_duration_s,
            silence_s=self.config.voicemail_silence_s,
        )
        if recorded.path is not None:
            await self.crm.voicemail(action, ani=self.ani, recording=recorded.path)
        else:
            self.details["voicemail_empty"] = True
        if not recorded.hung_up:
            await self.session.hangup()

    async def _left_early(self) -> None:
        """The caller hung up outside the flow loop (answering, identifying)."""
        state = self.state
        if state is not None and self.flow is not None:
            _, action = step(self.flow, state, CallerHungUp(), self.clock.now())
            if isinstance(action, TERMINAL):
                await self._publish(
                    completed_by(
                        action,
                        at=self.clock.now(),
                        call_id=self.call_id,
                        ani=self.ani,
                        language=state.language,
                        journal=state.journal,
                        ended=self.hung_up_at or self.doing,
                        details=self.details,
                    )
                )
                return
        await self._publish(
            completed(
                at=self.clock.now(),
                call_id=self.call_id,
                ani=self.ani,
                customer_id=self._customer_id(),
                outcome=Outcome.CALLER_HUNG_UP,
                language=self.session.request.language,
                handoff=None if state is None else handoff(state),
                journal=() if state is None else state.journal,
                ended=self.hung_up_at or self.doing,
                details=self.details,
            )
        )

    async def _rescue(self) -> None:
        """The runner failed: the operator queue, never silence."""
        queue, skills, priority = self._operator()
        moved = False
        with contextlib.suppress(Exception):
            await self._to_queue(queue, skills, priority)
            moved = True
        state = self.state
        await self._publish(
            completed(
                at=self.clock.now(),
                call_id=self.call_id,
                ani=self.ani,
                customer_id=self._customer_id(),
                outcome=Outcome.FAILED,
                language=state.language if state else self.session.request.language,
                handoff=None if state is None else handoff(state),
                journal=() if state is None else state.journal,
                queue=queue if moved else None,
                skills=skills if moved else (),
                priority=priority,
                details={**self.details, "failed": True},
            )
        )

    def _operator(self) -> tuple[str, tuple[str, ...], int]:
        flow = self.flow
        if flow is not None:
            node = flow.nodes.get(flow.operator)
            if isinstance(node, QueueNode):
                return node.queue, node.skills, node.priority
        return self.config.operator_queue, (), 0

    # --- helpers ----------------------------------------------------------------

    def _customer_id(self) -> str | None:
        return None if self.caller.customer_id is None else str(self.caller.customer_id)

    async def _publish(self, event: IvrCompleted) -> None:
        if self.published:
            return
        self.published = True
        try:
            await self.publisher.publish(event)
        except Exception:
            log.exception("IvrCompleted not published call_id=%s", self.call_id)


def _call_id(call_id_of: CallIdOf, uniqueid: str) -> str:
    try:
        return call_id_of(uniqueid)
    except Exception:  # a resolver bug must not cost the caller their call
        log.exception("call id not resolved uniqueid=%s; using it as is", uniqueid)
        return uniqueid


def _wav(path: Path) -> Path:
    return path.with_name(path.name + ".wav")


def ivr_handler(parts: IvrParts) -> Callable[[AgiSession], Awaitable[None]]:
    """The FastAGI handler for the `inbound` script: run_flow with these parts."""

    async def handle(session: AgiSession) -> None:
        await run_flow(session, parts)

    return handle
