"""Errors the ACD engine raises on requests that cannot apply.

AcdError
├── UnknownQueue
├── UnknownAgent
├── UnknownCall
├── DuplicateCall
├── InvalidTransition   (the agent's state does not allow the request)
├── NoConnectedCall     (a transfer or hang-up asked of an agent not on a call)
└── TransferRefused     (the target is unknown, or the call cannot go there)
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


class NoConnectedCall(AcdError):
    pass


class TransferRefused(AcdError):
    pass
