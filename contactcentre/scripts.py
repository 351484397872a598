"""The FastAGI scripts the service answers, wired from settings: `inbound` (the IVR,
handing queued callers to the ACD), and the waiting room's `announce` (checking in
a caller the ACD does not hold) and `queue-exit` (ivr.waiting)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from acd.handoff import check_in_on_announce, queue_on_hand_off
from acd.ports import PreferredAgents
from acd.service import AcdService
from contactcentre.bus import Bus
from contactcentre.settings import Settings
from crm_core.clock import Clock
from ivr.asr import VoskRecogniser
from ivr.crm_adapter import InProcessIvrCrm
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.parts import IvrParts, RunnerConfig, SoundDirectory
from ivr.ports import CallIdOf
from ivr.session import run_flow
from ivr.tts import CachedTts, TtsWorker, Voice
from ivr.waiting import (
    QueueExitParts,
    WaitingConfig,
    announce_handler,
    queue_exit_handler,
)
from telephony import dialplan
from telephony.agi import AgiServer, AgiSession
from telephony.calls import CallTracker
from telephony.model import ChannelId, PbxId, call_id
from telephony.pbx_of import PbxOf, PbxResolver

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptParts:
    """What the scripts use, made once by `bootstrap.build`."""

    bus: Bus
    clock: Clock
    asr: VoskRecogniser | None
    tts: TtsWorker
    crm: InProcessIvrCrm
    acd: AcdService
    calls: CallTracker
    preferred: PreferredAgents | None = None


def route_scripts(
    agi: AgiServer, settings: Settings, parts: ScriptParts
) -> FlowRegistry:
    """Route every script in `telephony.dialplan.AGI_SCRIPTS` but the dialer's;
    returns the flow registry the IVR serves (new versions take the next call).
    The flows published at start come from `settings.ivr.flows_dir` (else the demo
    flows); TTS prompts are cached where Asterisk reads sounds; menus in a language
    with no speech model take keys only."""
    ivr = settings.ivr
    pbx_id = PbxId(settings.pbxs[0].id)
    pbx_of = PbxOf([PbxId(p.id) for p in settings.pbxs], default=pbx_id)
    flows = FlowRegistry()
    loaded = flows.load_directory(ivr.flows_dir or DEMO_FLOWS)
    for refused in loaded.refused:
        log.warning("IVR flow not published: %s", refused)
    voices = {
        language: Voice(voice_id=voice_id, rate_wpm=ivr.tts_rate_wpm)
        for language, voice_id in ivr.tts_voices.items()
    }
    speech = CachedTts(parts.tts, sounds_dir=ivr.sounds_dir, voices=voices)
    recordings = settings.recordings_dir.resolve() / "ivr"
    inbound = on_own_pbx(
        IvrParts(
            flows=flows,
            crm=parts.crm,
            tts=speech,
            asr=parts.asr,
            publish=parts.bus,
            clock=parts.clock,
            config=RunnerConfig(
                recordings_dir=recordings,
                sounds=SoundDirectory(ivr.sounds_dir) if ivr.check_sounds else None,
                speech_languages=frozenset(ivr.asr_models),
            ),
        ),
        calls=parts.calls,
        pbx_of=pbx_of,
    )
    agi.route(
        dialplan.INBOUND_SCRIPT,
        queue_on_hand_off(
            inbound,
            parts.acd,
            pbx_id=pbx_id,
            calls=parts.calls,
            preferred=parts.preferred,
            pbx_of=pbx_of,
        ),
    )
    room = WaitingConfig(recordings_dir=recordings)
    agi.route(
        dialplan.ANNOUNCE_SCRIPT,
        check_in_on_announce(
            announce_handler(speech, config=room),
            parts.acd,
            parts.acd,
            pbx_id=pbx_id,
            calls=parts.calls,
            pbx_of=pbx_of,
        ),
    )
    agi.route(
        dialplan.QUEUE_EXIT_SCRIPT,
        queue_exit_handler(
            QueueExitParts(
                tts=speech,
                crm=parts.crm,
                callbacks=parts.acd,
                calls=parts.calls,
                pbx_id=pbx_id,
                config=room,
                pbx_of=pbx_of,
            )
        ),
    )
    return flows


def on_own_pbx(
    parts: IvrParts, *, calls: CallTracker, pbx_of: PbxResolver
) -> AgiHandler:
    """The IVR handler whose CRM writes and events carry the call id on the PBX
    the session comes from (`GLOBAL(PBX_ID)`, read once per session)."""

    async def handle(session: AgiSession) -> None:
        pbx_id = await pbx_of(session)
        own = replace(parts, call_id_of=call_id_resolver(calls, pbx_id))
        await run_flow(session, own)

    return handle


def call_id_resolver(calls: CallTracker, pbx_id: PbxId) -> CallIdOf:
    """The telephony call id of the call an IVR channel belongs to."""

    def resolve(uniqueid: str, /) -> str:
        found = calls.call_of_channel(pbx_id, ChannelId(uniqueid))
        return found.call_id if found is not None else call_id(pbx_id, uniqueid)

    return resolve


async def load_recogniser(settings: Settings) -> VoskRecogniser | None:
    """The vosk models named in the settings, loaded once (seconds per model);
    None when none are set. Raises AsrModelMissing naming the path."""
    models = settings.ivr.asr_models
    if not models:
        log.info("no ASR models set: IVR menus take keys only")
        return None
    return await asyncio.to_thread(
        VoskRecogniser.load, models, max_concurrent=settings.ivr.asr_max_concurrent
    )
