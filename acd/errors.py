"""Errors the ACD engine raises on requests that cannot apply.

AcdError
├── UnknownQueue
├── UnknownAgent
├── UnknownCall
├── DuplicateCall
├── InvalidTransition   (the agent's state does not allow the request)
├── AgentBusy           (the agent asked for is not ready: on a call, paused...)
├── NoConnectedCall     (a transfer or hang-up asked of an agent not on a call)
├── TransferRefused     (the target is unknown, or the call cannot go there)
├── HoldRefused         (the call cannot be held, or is not held, now)
├── DialRefused         (the agent cannot call out now, or the number is bad)
└── ConfigurationNotSaved (the queues and seats could not be read or kept)
"""

from __future__ import annotations


class AcdError(Exception):
    """Base class of the ACD's errors."""


class UnknownQueue(AcdError):
    pass


class UnknownAgent(AcdError):
    pass


class UnknownCall(AcdError):
    pass


class DuplicateCall(AcdError):
    pass


class InvalidTransition(AcdError):
    pass


class AgentBusy(AcdError):
    """The agent to consult is not ready (an attended transfer reserves them)."""


class NoConnectedCall(AcdError):
    pass


class TransferRefused(AcdError):
    pass


class HoldRefused(AcdError):
    pass


class DialRefused(AcdError):
    pass


class ConfigurationNotSaved(AcdError):
    """The database did not answer: nothing was changed."""
