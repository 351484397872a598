"""The simulator's people and settings: callers, agent phones, called parties.

Plain frozen values; the simulator reads them and never changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from telephony.sim.sounds import INSTALLED_SOUNDS


class PartyKind(StrEnum):
    """What answers an outbound call (the `cc-party` extensions of the traces)."""

    HUMAN = "human"
    MACHINE = "machine"
    NOANSWER = "noanswer"
    BUSY = "busy"


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """An inbound caller: who calls which number, what they press or say, how long
    they wait.

    `digits` are pressed one by one whenever the IVR reads input (GET DATA, WAIT FOR
    DIGIT), each after `digit_delay_s`; `wav` is what RECORD FILE captures;
    `patience_s` is how long they wait for an agent before hanging up (None: for
    ever); `talk_s` is how long they talk once bridged to an agent.
    """

    ani: str
    name: str = ""
    dnis: str = "2001"
    digits: str = ""
    digit_delay_s: float = 1.0
    wav: Path | None = None
    patience_s: float | None = 60.0
    talk_s: float = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPhone:
    """An agent's phone: rings `ring_s` then answers, or never answers, or is not
    registered (`reachable=False`). `talk_s` bounds how long the agent stays."""

    endpoint: str
    ring_s: float = 2.0
    answers: bool = True
    reachable: bool = True
    talk_s: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyProfile:
    """How called numbers behave when no `Party` names them: drawn with the seed."""

    answer_rate: float = 0.7
    machine_rate: float = 0.2
    """Of the answered calls, the share answered by a machine."""
    busy_rate: float = 0.1
    """Of the unanswered calls, the share that are busy."""
    ring_s: float = 4.0
    talk_s: float = 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """One called number with a fixed behaviour."""

    number: str
    kind: PartyKind
    ring_s: float = 0.0
    talk_s: float = 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    """Everything the simulator needs. Ports 0 pick a free port.

    `speed` compresses simulated time: at 10.0 a 5 s ring takes 0.5 s of wall time.
    `agi_host`/`agi_port` are the service's FastAGI address (None: AGI steps are
    skipped as if the script returned at once).
    """

    host: str = "127.0.0.1"
    ami_port: int = 0
    username: str = "cc"
    secret: str = "ccsecret"  # noqa: S105  # the reference manager.conf
    agi_host: str | None = "127.0.0.1"
    agi_port: int | None = 4573
    seed: int = 1
    speed: float = 1.0
    auth_fail_delay_s: float = 0.0
    """Real Asterisk answers a wrong secret after about 1 s (ami-basics.ami.txt)."""
    agi_timeout_s: float = 30.0
    """Wall-clock limit for one FastAGI connect or reply read."""
    recordings_dir: Path = Path("var/recordings")
    sounds_dir: Path | None = None
    """The sounds directory this Asterisk reads (`<astdatadir>/sounds`): a sound
    plays when it is installed or a file here; any other is missing, answered as
    Asterisk answers it. None: installed sounds only."""
    installed_sounds: frozenset[str] = INSTALLED_SOUNDS
    """Sounds Asterisk has without the sounds directory (take one out to make it
    missing)."""
    agents: tuple[AgentPhone, ...] = ()
    parties: tuple[Party, ...] = ()
    party_profile: PartyProfile = field(default_factory=PartyProfile)
    pbx_id: str = "pbx1"
    """The `PBX_ID` global: which PBX of the service this simulator plays."""
    epoch: int | None = None
    """Start of the Uniqueid counter (`<epoch>.<n>`); None: the wall clock."""
    shutdown_events: bool = False
    """How a restart looks on AMI: Hangup for every channel then `Shutdown`
    (restart-with-shutdown.ami.txt), or a socket that just closes (restart.ami.txt).
    A real Asterisk does either."""
