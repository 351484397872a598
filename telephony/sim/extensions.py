"""The reference extensions.conf as the simulator runs it: the steps of each
context it shares with ../shared/asterisk-traces/config/ and telephony/asterisk/,
the people's own contexts, and Asterisk's substitution of an application's data.

No I/O (`${EPOCH}` reads the wall clock, as Asterisk's does): the table reads the
channel and the settings; `telephony.sim.dialplan` runs the steps.
"""

from __future__ import annotations

import random
import re
import time
from typing import TYPE_CHECKING

from telephony.dialplan import (
    AGENT_CONTEXT,
    ANNOUNCE_EVERY_VARIABLE,
    ANNOUNCE_LABEL,
    ANNOUNCE_SCRIPT,
    DEFAULT_QUEUE_VARIABLE,
    FALLBACK_CONTEXT,
    FALLBACK_EXTEN,
    HELD_AGENT_CONTEXT,
    HOLD_CONTEXT,
    HOLD_EXTEN,
    MOH_CLASS,
    OUTBOUND_CONTEXT,
    PHONE_STAND_IN_CONTEXT,
    QUEUE_EXIT_CONTEXT,
    QUEUE_EXIT_EXTENS,
    QUEUE_EXIT_SCRIPT,
    QUEUE_VARIABLE,
    QUEUED_AT_VARIABLE,
    SPY_CHANNEL_VARIABLE,
    SPY_CONTEXT,
    SPY_OPTIONS,
    WAIT_CONTEXT,
    WAIT_EXTEN,
    WAIT_INVALID_EXTEN,
    WAIT_LOOP_LABEL,
)
from telephony.sim.channels import Channel
from telephony.sim.model import AgentPhone, Party, PartyKind, SimConfig

if TYPE_CHECKING:
    from telephony.sim.dialplan import Line

PHONE_CONTEXT = PHONE_STAND_IN_CONTEXT
"""The traces' stand-in for an agent's phone (`PJSIP/<endpoint>` on a real
Asterisk): rings, answers, plays a greeting and stays (asterisk-traces/config)."""
AGENT_PHONE_CONTEXTS = frozenset({PHONE_CONTEXT, AGENT_CONTEXT})
"""Where a Local channel reaches an agent's phone: the stand-in phone itself, or
the product's agent leg (`cc-agent`), which Dials it as the reference dialplan
Dials PJSIP/<endpoint> (agent-leg-bridges.ami.txt)."""
PRIORITY_LABELS = {(WAIT_CONTEXT, WAIT_EXTEN): {WAIT_LOOP_LABEL: 2, ANNOUNCE_LABEL: 3}}
"""The `n(label)` priorities of the table below, for Goto."""
FALLBACK = f"{FALLBACK_CONTEXT},{FALLBACK_EXTEN},1"
_DIGITS = re.compile(r"^\+?[0-9*#]+$")
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_EQUALITY = re.compile(r'\$\[\s*"([^"]*)"\s*(!?=)\s*"([^"]*)"\s*\]')
"""The only `$[...]` expressions the reference dialplan uses: string (in)equality."""


class ExtensionTable:
    """The steps for a channel's place (`steps`) and the substitution of their data
    (`expand`), for `telephony.sim.dialplan.Dialplan`."""

    config: SimConfig
    rng: random.Random
    globals: dict[str, str]
    agents: dict[str, AgentPhone]
    parties: dict[str, Party]

    @property
    def agi_host(self) -> str:
        return f"{self.config.agi_host}:{self.config.agi_port}"

    def steps(self, line: Line) -> list[tuple[str, str]] | None:
        ch = line.ch
        ctx, exten = ch.context, ch.exten
        agi = f"agi://{self.agi_host}"
        if ctx == "cc-inbound" and _DIGITS.match(exten):
            return [
                ("NoOp", f"inbound {ch.cid_num} -> {exten}"),
                ("Answer", ""),
                ("AGI", f"{agi}/inbound"),
                ("Goto", FALLBACK),
            ]
        if ctx == WAIT_CONTEXT and exten == WAIT_INVALID_EXTEN:
            return [("Goto", f"{WAIT_EXTEN},{ANNOUNCE_LABEL}")]
        if ctx == WAIT_CONTEXT and exten == WAIT_EXTEN:
            every = self.globals[ANNOUNCE_EVERY_VARIABLE]
            return [
                ("Answer", ""),
                ("MusicOnHold", f"{MOH_CLASS},{every}"),
                ("AGI", f"{agi}/{ANNOUNCE_SCRIPT}"),
                ("Goto", WAIT_LOOP_LABEL),
            ]
        if ctx == HOLD_CONTEXT and exten == HOLD_EXTEN:
            return [("MusicOnHold", MOH_CLASS), ("Hangup", "")]
        if ctx == HELD_AGENT_CONTEXT and exten == HOLD_EXTEN:
            return [("Wait", "3600"), ("Hangup", "")]
        if ctx == QUEUE_EXIT_CONTEXT and exten in QUEUE_EXIT_EXTENS:
            return [("AGI", f"{agi}/{QUEUE_EXIT_SCRIPT}"), ("Goto", FALLBACK)]
        if ctx == FALLBACK_CONTEXT and exten == FALLBACK_EXTEN:
            default = self.globals[DEFAULT_QUEUE_VARIABLE]
            return [
                ("NoOp", "FastAGI ${AGISTATUS}: the caller waits for an agent"),
                (
                    "ExecIf",
                    f'$["${{{QUEUE_VARIABLE}}}" = ""]?Set({QUEUE_VARIABLE}={default})',
                ),
                ("Set", f"{QUEUED_AT_VARIABLE}=${{EPOCH}}"),
                ("Goto", f"{WAIT_CONTEXT},{WAIT_EXTEN},{ANNOUNCE_LABEL}"),
            ]
        if ctx == SPY_CONTEXT and exten in SPY_OPTIONS:
            spied = ch.variables.get(SPY_CHANNEL_VARIABLE, "")
            return [("ChanSpy", f"{spied},{SPY_OPTIONS[exten]}"), ("Hangup", "")]
        if ctx == "cc-party":
            return self._party_steps(line, exten)
        if ctx == OUTBOUND_CONTEXT and _DIGITS.match(exten):
            if ch.name.startswith(f"Local/{exten}@{OUTBOUND_CONTEXT}-"):
                return self._party_steps(line, exten)  # the trunk's called party
            # Any other channel (a caller redirected here, a callback's agent leg)
            # dials out as Dial(PJSIP/<number>@trunk) does: a new leg in its call.
            return [("Dial", f"Local/{exten}@{OUTBOUND_CONTEXT}"), ("Hangup", "")]
        if ctx in AGENT_PHONE_CONTEXTS and _DIGITS.match(exten):
            agent = self.agents.get(exten) or AgentPhone(endpoint=exten)
            line.agent = agent
            if ctx == AGENT_CONTEXT:
                return [
                    ("NoOp", f"agent {exten}"),
                    ("Dial", f"Local/{exten}@{PHONE_CONTEXT},30,t"),
                    ("Hangup", ""),
                ]
            if not agent.answers:
                return [("Wait", "3600")]
            return [
                ("Wait", _num(agent.ring_s)),
                ("Answer", ""),
                ("Playback", "custom/hello"),
                ("Wait", _num(agent.talk_s)),
                ("Hangup", ""),
            ]
        if ctx == "cc-dialer" and exten == "s":
            return [
                ("NoOp", "dialer leg"),
                ("AMD", ""),
                ("NoOp", "AMD ${AMDSTATUS} ${AMDCAUSE}"),
                ("AGI", f"{agi}/dialer"),
                ("Hangup", ""),
            ]
        if ctx == "from-sip" and _DIGITS.match(exten):
            return [("Goto", f"cc-inbound,{exten},1")]
        if ctx == "agents" and _DIGITS.match(exten):
            return [("Hangup", "")]
        return None

    def _party_steps(self, line: Line, exten: str) -> list[tuple[str, str]] | None:
        kind = self._party_kind(line, exten)
        if kind is None:
            return None
        line.party = kind
        talk = "30" if line.talk_s is None else _num(line.talk_s)
        match kind:
            case PartyKind.HUMAN:
                return [
                    ("Answer", ""),
                    ("Playback", "custom/hello-short"),
                    ("MusicOnHold", f"default,{talk}"),
                    ("Hangup", ""),
                ]
            case PartyKind.MACHINE:
                return [
                    ("Answer", ""),
                    ("Playback", "custom/machine"),
                    ("Wait", "10"),
                    ("Hangup", ""),
                ]
            case PartyKind.NOANSWER:
                return [("Wait", "60")]
            case PartyKind.BUSY:
                return [("Busy", "5")]

    def _party_kind(self, line: Line, exten: str) -> PartyKind | None:
        if line.party is not None:
            return line.party
        if exten in PartyKind.__members__.values():
            return PartyKind(exten)
        if not _DIGITS.match(exten):
            return None
        party = self.parties.get(exten)
        if party is not None:
            line.ring_s, line.talk_s = party.ring_s, party.talk_s
            return party.kind
        profile = self.config.party_profile
        line.ring_s, line.talk_s = profile.ring_s, profile.talk_s
        if self.rng.random() < profile.answer_rate:
            return (
                PartyKind.MACHINE
                if self.rng.random() < profile.machine_rate
                else PartyKind.HUMAN
            )
        return (
            PartyKind.BUSY
            if self.rng.random() < profile.busy_rate
            else PartyKind.NOANSWER
        )

    def expand(self, ch: Channel, text: str) -> str:
        """Asterisk's substitution of an application's data: `${NAME}` (the
        channel's variable, else the global; `EPOCH` is the wall clock's second)
        and then `$["a" = "b"]`, which becomes 1 or 0."""

        def variable(found: re.Match[str]) -> str:
            name = found[1]
            if name == "EPOCH":
                return str(int(time.time()))
            return ch.variables.get(name, self.globals.get(name, ""))

        def equality(found: re.Match[str]) -> str:
            same = found[1] == found[3]
            return "1" if same == (found[2] == "=") else "0"

        return _EQUALITY.sub(equality, _VARIABLE.sub(variable, text))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
