"""Errors that end a command with one line on standard error and exit status 1.

CommandFailed
├── StartRefused       the service cannot start (schema, directories, database)
└── UserCommandFailed  `users ...` changed nothing (taken login, weak password)
"""

from __future__ import annotations


class CommandFailed(Exception):
    """The message says why and what to do, in one line."""


class StartRefused(CommandFailed):
    pass


class UserCommandFailed(CommandFailed):
    pass
