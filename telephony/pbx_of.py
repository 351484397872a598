"""Which PBX a FastAGI session comes from: the `PBX_ID` global each Asterisk sets
(a FastAGI connection does not say which server opened it). Reads one variable per
session; routing by PBX is the callers'."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Collection

from telephony.agi import AgiSession
from telephony.dialplan import PBX_ID_VARIABLE
from telephony.errors import AgiError, AgiHangup
from telephony.model import PbxId

log = logging.getLogger(__name__)

PbxResolver = Callable[[AgiSession], Awaitable[PbxId]]
"""The PBX a FastAGI session's call is on (`PbxOf` is one)."""

PBX_ID_EXPRESSION = f"GLOBAL({PBX_ID_VARIABLE})"
"""Read as a function: a dialplan global, whatever the channel has set."""


def known_pbx(value: str | None, known: Collection[PbxId]) -> PbxId | None:
    """The configured PBX `value` names (surrounding blanks ignored); None when it
    is empty or names none of `known`."""
    if value is None:
        return None
    wanted = value.strip()
    return next((pbx for pbx in known if pbx == wanted), None)


class PbxOf:
    """Resolves a session's PBX from `GLOBAL(PBX_ID)`, once per session.

    An empty, unknown or unreadable id gives `default` (the first configured PBX);
    each such id is logged once, at WARNING. Never raises: a caller who hung up
    meanwhile is noticed by the script's next command.
    """

    def __init__(self, known: Collection[PbxId], default: PbxId) -> None:
        self.known = frozenset(known) | {default}
        self.default = default
        self._seen: weakref.WeakKeyDictionary[AgiSession, PbxId] = (
            weakref.WeakKeyDictionary()
        )
        self._warned: set[str] = set()

    async def __call__(self, session: AgiSession) -> PbxId:
        found = self._seen.get(session)
        if found is None:
            found = self._seen[session] = await self._read(session)
        return found

    async def _read(self, session: AgiSession) -> PbxId:
        try:
            value = await session.get_variable(PBX_ID_EXPRESSION)
        except AgiHangup:
            return self.default
        except AgiError as exc:
            self._warn(f"unreadable ({type(exc).__name__})", session)
            return self.default
        found = known_pbx(value, self.known)
        if found is None:
            self._warn(repr(value), session)
            return self.default
        return found

    def _warn(self, value: str, session: AgiSession) -> None:
        if value in self._warned:
            return
        self._warned.add(value)
        log.warning(
            "%s %s names no configured PBX; calls from it go to pbx=%s "
            "(first seen channel=%s)",
            PBX_ID_VARIABLE,
            value,
            self.default,
            session.request.channel,
        )
