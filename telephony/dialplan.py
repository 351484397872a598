"""The names the service and the reference Asterisk configuration share: contexts,
FastAGI scripts, the AMI events the bridge uses. Constants only, no I/O.

telephony/asterisk/*.conf must agree with these (tests/unit/telephony/
test_asterisk_config.py checks it).
"""

from __future__ import annotations

INBOUND_CONTEXT = "cc-inbound"
"""Every inbound call enters here and goes straight to FastAGI `inbound`."""
WAIT_CONTEXT = "cc-wait"
"""A caller waiting for an agent hears music on hold here (extension `s`)."""
WAIT_EXTEN = "s"
AGENT_CONTEXT = "cc-agent"
"""`Local/<endpoint>@cc-agent` rings the agent's phone `PJSIP/<endpoint>`."""
DIALER_CONTEXT = "cc-dialer"
"""An answered outbound leg runs AMD() here, then FastAGI `dialer` (extension `s`)."""
DIALER_EXTEN = "s"
OUTBOUND_CONTEXT = "cc-outbound"
"""`Local/<number>@cc-outbound` dials a number through the trunk."""
PHONES_CONTEXT = "cc-phones"
"""The context of the agents' own phones (what they dial)."""

INBOUND_SCRIPT = "inbound"
DIALER_SCRIPT = "dialer"
AGI_SCRIPTS = frozenset({INBOUND_SCRIPT, DIALER_SCRIPT})

MOH_CLASS = "default"

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
    }
)
"""The AMI events the bridge uses; manager.conf filters out everything else."""
VARSET_VARIABLES_REGEX = "^(AMDSTATUS|AMDCAUSE|CC_[A-Z0-9_]+)$"
"""VarSet events pass only for the variables the service reads."""


def agent_channel(endpoint: str) -> str:
    """The channel to Originate to ring an agent's phone."""
    return f"Local/{endpoint}@{AGENT_CONTEXT}"


def outbound_channel(number: str) -> str:
    """The channel to Originate to call a number through the trunk."""
    return f"Local/{number}@{OUTBOUND_CONTEXT}"
