"""The names the service and the reference Asterisk configuration share: contexts,
FastAGI scripts, the AMI events the bridge uses. Constants only, no I/O.

telephony/asterisk/*.conf must agree with these (tests/unit/telephony/
test_asterisk_config.py checks it).
"""

from __future__ import annotations

INBOUND_CONTEXT = "cc-inbound"
"""Every inbound call enters here and goes straight to FastAGI `inbound`."""
WAIT_CONTEXT = "cc-wait"
"""A caller waiting for an agent hears music on hold here (extension `s`): music for
`ANNOUNCE_EVERY` seconds, FastAGI `announce`, then music again, until the ACD bridges
an agent in or redirects the caller elsewhere."""
WAIT_EXTEN = "s"
WAIT_INVALID_EXTEN = "i"
"""Asterisk's `invalid` extension: where the dialplan goes on in `cc-wait` when a
script set the context but was cut off before setting the extension; it joins the
waiting loop at its `announce` step."""
WAIT_LOOP_LABEL = "wait"
"""The priority label of the music step the waiting loop goes back to."""
ANNOUNCE_LABEL = "announce"
"""The priority label of the waiting loop's FastAGI `announce` step, where a caller
from `cc-fallback` starts (so the service, when up, learns of them at once)."""
FALLBACK_CONTEXT = "cc-fallback"
"""Where a caller goes when a FastAGI script (`inbound`, `queue-exit`) returns
without moving or hanging up the channel: the script failed, the service was
unreachable (AGISTATUS FAILURE) or the session was cut off (AGISTATUS SUCCESS: a
FastAGI server closing the connection is a script's normal end to Asterisk).
Extension `s`: the caller keeps `CC_QUEUE`, or gets `DEFAULT_QUEUE`, and waits in
`cc-wait` from its `announce` step."""
FALLBACK_EXTEN = "s"
DEFAULT_QUEUE_VARIABLE = "DEFAULT_QUEUE"
"""The [globals] variable naming the queue a caller with none goes to from
`cc-fallback` (the ACD's `default_queue` setting)."""
DEFAULT_QUEUE = "general"
"""Its value in the reference extensions.conf."""
ANNOUNCE_EVERY_VARIABLE = "ANNOUNCE_EVERY"
"""The [globals] variable holding the seconds of music between two announcements."""
ANNOUNCE_EVERY_S = 30
"""Its value in the reference extensions.conf."""
PBX_ID_VARIABLE = "PBX_ID"
"""The [globals] variable naming this Asterisk as the service knows it (a `CC_PBXS`
id): FastAGI scripts read `GLOBAL(PBX_ID)`, since a FastAGI connection does not say
which server opened it."""
PBX_ID_DEFAULT = "pbx1"
"""Its value in the reference extensions.conf (the first PBX of the default
settings)."""
QUEUE_EXIT_CONTEXT = "cc-queue-exit"
"""Where the ACD redirects a waiting caller who leaves the queue without an agent:
extension `voicemail` or `callback` (acd.model.ExitKind values), priority 1, each
running FastAGI `queue-exit` then Hangup."""
QUEUE_EXIT_VOICEMAIL = "voicemail"
QUEUE_EXIT_CALLBACK = "callback"
QUEUE_EXIT_EXTENS = frozenset({QUEUE_EXIT_VOICEMAIL, QUEUE_EXIT_CALLBACK})
HOLD_CONTEXT = "cc-hold"
"""An agent puts their caller on hold: the ACD redirects the caller here (extension
`s`), to music on hold until the agent resumes (an AMI Bridge takes them out)."""
HOLD_EXTEN = "s"
HELD_AGENT_CONTEXT = "cc-held"
"""...while the agent's own channel, moved out of the bridge at the same moment,
waits here in silence (extension `s`) until the Bridge puts the two together."""
AGENT_CONTEXT = "cc-agent"
"""`Local/<endpoint>@cc-agent` rings the agent's phone `PJSIP/<endpoint>`."""
DIALER_CONTEXT = "cc-dialer"
"""An answered outbound leg runs AMD() here, then FastAGI `dialer` (extension `s`)."""
DIALER_EXTEN = "s"
OUTBOUND_CONTEXT = "cc-outbound"
"""`Local/<number>@cc-outbound` dials a number through the trunk."""
PHONE_STAND_IN_CONTEXT = "cc-agentphone"
"""Where the traces' configuration (asterisk-traces/config), and the simulator,
put a stand-in for an agent's `PJSIP/<endpoint>` phone: a channel
`Local/<endpoint>@cc-agentphone-…` is that phone."""
PHONES_CONTEXT = "cc-phones"
"""The context of the agents' own phones (what they dial)."""
SPY_CONTEXT = "cc-spy"
"""A supervisor listens to an agent's call: an Originate rings the supervisor's
phone (`agent_channel`) and, once it answers, runs this context's extension for
the mode (`SPY_OPTIONS`), whose ChanSpy spies on the channel named by
`SPY_CHANNEL_VARIABLE` (the agent's phone channel)."""
SPY_CHANNEL_VARIABLE = "CC_SPY_CHANNEL"
"""Set by the Originate: the full name of the channel to spy on."""
SPY_OPTIONS = {"listen": "qEu", "whisper": "qwEu", "barge": "qBEu"}
"""Each extension of `SPY_CONTEXT` and its ChanSpy options: `q` no beep, `w`
whisper to the agent, `B` barge in on both parties; every mode adds `E` (leave
when the agent's channel hangs up) and `u` (the channel is named in full, so no
other channel sharing its prefix is spied on)."""

INBOUND_SCRIPT = "inbound"
DIALER_SCRIPT = "dialer"
ANNOUNCE_SCRIPT = "announce"
"""Run from `cc-wait` between spells of music: tells the caller their place
(`CC_QUEUE_POSITION`) and expected wait (`CC_EXPECTED_WAIT_S`, whole seconds, empty
when unknown), both set on the channel by the ACD."""
QUEUE_EXIT_SCRIPT = "queue-exit"
"""Run from `cc-queue-exit`: voicemail or a callback offer, by the extension."""
AGI_SCRIPTS = frozenset(
    {INBOUND_SCRIPT, DIALER_SCRIPT, ANNOUNCE_SCRIPT, QUEUE_EXIT_SCRIPT}
)

MOH_CLASS = "default"

QUEUE_VARIABLE = "CC_QUEUE"
"""Set by the IVR on a caller it hands to the ACD: the queue asked for."""
SKILLS_VARIABLE = "CC_SKILLS"
"""Comma-separated `name:level` minimums (or bare names), e.g. `billing:3,ru`."""
PRIORITY_VARIABLE = "CC_PRIORITY"
LANGUAGE_VARIABLE = "CC_LANGUAGE"
"""The language the caller was served in (also what announcements speak)."""
CATEGORY_VARIABLE = "CC_CATEGORY"
"""The customer's category, for the ACD's category priority (e.g. `vip`)."""
QUEUED_AT_VARIABLE = "CC_QUEUED_AT"
"""Set on a waiting caller by the ACD (and by `cc-fallback` when unset): when they
first joined a queue, in epoch seconds. A restarted service queues the callers it
finds in `cc-wait` again in their place from this and the variables above."""
PREFERRED_AGENT_VARIABLE = "CC_PREFERRED_AGENT"
"""Set on a waiting caller by the ACD: the agent the call is held for first (the
owner of the caller's open appeal, or a transfer's target)."""
QUEUE_POSITION_VARIABLE = "CC_QUEUE_POSITION"
"""Set by the ACD on a waiting caller: their place in the queue (1 = next)."""
EXPECTED_WAIT_VARIABLE = "CC_EXPECTED_WAIT_S"
"""Set by the ACD: whole seconds; empty when there is no basis for an estimate."""

AMI_EVENTS = frozenset(
    {
        "FullyBooted",
        "Newchannel",
        "Newstate",
        "NewCallerid",
        "Hangup",
        "DialBegin",
        "DialEnd",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
        "OriginateResponse",
        "CoreShowChannel",
        "CoreShowChannelsComplete",
        "MixMonitorStart",
        "MixMonitorStop",
        "MixMonitorMute",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "DTMFBegin",
        "DTMFEnd",
        "VarSet",
        "Shutdown",
        "SoftHangupRequest",
    }
)
"""The AMI events the bridge uses; manager.conf filters out everything else."""
VARSET_VARIABLES_REGEX = "^(AMDSTATUS|AMDCAUSE|CC_[A-Z0-9_]+)$"
"""VarSet events pass only for the variables the service reads."""
SHUTDOWN_CAUSE = "4"
"""SoftHangupRequest's Cause when Asterisk hangs a channel up because it is
shutting down (AST_SOFTHANGUP_SHUTDOWN); only those pass manager.conf."""


def agent_channel(endpoint: str) -> str:
    """The channel to Originate to ring an agent's phone."""
    return f"Local/{endpoint}@{AGENT_CONTEXT}"


def outbound_channel(number: str) -> str:
    """The channel to Originate to call a number through the trunk."""
    return f"Local/{number}@{OUTBOUND_CONTEXT}"
