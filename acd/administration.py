"""The queues and agents' seats an administrator edits: read from the database at
start (the settings' copied in when it holds none), each change checked by
`acd.configuration`, kept, and served by the running ACD at once, no restart.
No rules here; one instance owns the ACD, so one lock orders the changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, overload

from acd.configuration import (
    Configuration,
    ConfigurationRefused,
    QueueInput,
    QueueInUse,
    SeatInput,
    queue_in_use,
    queues_of,
    seats_of,
    with_queue,
    with_seat,
    without_queue,
    without_seat,
)
from acd.errors import ConfigurationNotSaved, InvalidTransition
from acd.model import AgentId, AgentState, QueueId
from acd.monitoring import AuditLog
from acd.service import AcdService
from crm_core.auth.model import Actor
from telephony.backoff import Backoff
from telephony.model import PbxId

log = logging.getLogger(__name__)


class ConfigurationStore(Protocol):
    """Keeps the queues and seats (`acd.tables.SqlConfigurationStore`). Each method
    raises `ConfigurationNotSaved` when the database does not answer."""

    async def load(self) -> Configuration:
        """What is kept (nothing the first time)."""
        ...

    async def save_all(self, config: Configuration) -> None:
        """Keep `config` unless something is kept already (the first start's)."""
        ...

    async def save_queue(self, queue: QueueInput) -> None: ...

    async def delete_queue(self, queue_id: str) -> None: ...

    async def save_seat(self, seat: SeatInput) -> None: ...

    async def delete_seat(self, login: str) -> None: ...


class AcdAdministration:
    """`run()` reads the kept configuration once at start (`loaded` is set after
    the first try: until the database answers, the defaults serve); the `save_*`
    and `delete_*` methods change it. They raise ValidationFailed (a field),
    ConfigurationRefused (a deletion not allowed now, saying why) and
    ConfigurationNotSaved (nothing changed)."""

    def __init__(
        self,
        acd: AcdService,
        store: ConfigurationStore,
        *,
        defaults: Configuration,
        pbxs: Sequence[PbxId],
        audit: AuditLog | None = None,
        retry: Backoff | None = None,
    ) -> None:
        self._acd = acd
        self.acd = acd
        self._store = store
        self._audit = audit
        self._config = defaults
        self.pbxs = tuple(pbxs)
        self._retry = retry or Backoff(initial_s=1.0, cap_s=60.0)
        self._lock = asyncio.Lock()
        self._flows_using: Callable[[str], Sequence[str]] = _none
        self.loaded = asyncio.Event()
        """Set once the kept configuration serves, or could not be read once."""

    @property
    def configuration(self) -> Configuration:
        return self._config

    @property
    def default_queue(self) -> QueueId | None:
        return self._acd.settings.default_queue

    def logged_in(self, login: str) -> bool:
        return self._acd.engine.agent(AgentId(login)).state is not AgentState.LOGGED_OUT

    def waiting(self, queue_id: str) -> int:
        """Calls in the queue now (waiting, held or ringing an agent)."""
        queue = QueueId(queue_id)
        return self._acd.engine.size(queue) if self._acd.has_queue(queue) else 0

    def in_use(self, queue_id: str) -> QueueInUse:
        return queue_in_use(
            self._config,
            queue_id,
            default_queue=self.default_queue,
            waiting=self.waiting(queue_id),
            flows=self._flows_using(queue_id),
        )

    def flows_from(self, flows_using: Callable[[str], Sequence[str]]) -> None:
        """Ask `flows_using` which IVR flows hand calls to a queue (the IVR is
        built after the ACD, which it hands calls to)."""
        self._flows_using = flows_using

    async def run(self) -> None:
        """Read and serve the kept configuration, trying again with back-off while
        the database does not answer; then return."""
        attempt = 0
        while True:
            try:
                await self._load()
            except ConfigurationNotSaved as error:
                log.warning("ACD queues and seats: the settings' serve: %s", error)
                self.loaded.set()
                await asyncio.sleep(self._retry.delay_s(attempt))
                attempt += 1
                continue
            except InvalidTransition as error:  # the defaults served meanwhile
                log.error("ACD: kept queues and seats not served: %s", error)
            self.loaded.set()
            return

    async def _load(self) -> None:
        async with self._lock:
            stored = await self._store.load()
            if not stored.queues and not stored.seats:
                await self._store.save_all(self._config)
                log.info(
                    "ACD: the settings' %d queues and %d seats kept as the first "
                    "configuration",
                    len(self._config.queues),
                    len(self._config.seats),
                )
                return
            await self._serve(stored)
            log.info(
                "ACD: %d queues and %d seats served from the database",
                len(stored.queues),
                len(stored.seats),
            )

    def check_queue(self, queue: QueueInput, *, new: bool) -> None:
        """Raise ValidationFailed as `save_queue` would, changing nothing."""
        with_queue(self._config, queue, new=new)

    def check_seat(self, seat: SeatInput, *, new: bool) -> None:
        """Raise ValidationFailed as `save_seat` would, changing nothing."""
        with_seat(self._config, seat, new=new, pbxs=self.pbxs)

    async def save_queue(
        self, queue: QueueInput, *, new: bool, by: Actor | None = None
    ) -> None:
        async with self._lock:
            changed = with_queue(self._config, queue, new=new)
            await self._change(changed, lambda: self._store.save_queue(queue))
        log.info("ACD queue=%s saved", queue.queue_id)
        await self._record(
            by, "acd.queue.save", queue.queue_id, queue.model_dump(mode="json")
        )

    async def delete_queue(self, queue_id: str, *, by: Actor | None = None) -> None:
        async with self._lock:
            changed = without_queue(self._config, queue_id, self.in_use(queue_id))
            try:
                await self._change(changed, lambda: self._store.delete_queue(queue_id))
            except InvalidTransition:  # a call arrived meanwhile
                raise ConfigurationRefused(
                    queue_id, in_use=QueueInUse(waiting=max(1, self.waiting(queue_id)))
                ) from None
        log.info("ACD queue=%s deleted", queue_id)
        await self._record(by, "acd.queue.delete", queue_id, None)

    async def save_seat(
        self, seat: SeatInput, *, new: bool, by: Actor | None = None
    ) -> None:
        async with self._lock:
            changed = with_seat(self._config, seat, new=new, pbxs=self.pbxs)
            await self._change(changed, lambda: self._store.save_seat(seat))
        log.info("ACD seat=%s saved", seat.login)
        await self._record(
            by, "acd.seat.save", seat.login, seat.model_dump(mode="json")
        )

    async def delete_seat(self, login: str, *, by: Actor | None = None) -> None:
        async with self._lock:
            logged_in = self.logged_in(login)
            changed = without_seat(self._config, login, logged_in=logged_in)
            try:
                await self._change(changed, lambda: self._store.delete_seat(login))
            except InvalidTransition:  # the agent logged in meanwhile
                raise ConfigurationRefused(login, logged_in=True) from None
        log.info("ACD seat=%s deleted", login)
        await self._record(by, "acd.seat.delete", login, None)

    async def _record(
        self, by: Actor | None, action: str, key: str, details: dict[str, Any] | None
    ) -> None:
        """Keep who changed what in the audit log (an administrator's change)."""
        if by is None or self._audit is None:
            return
        kind = action.split(".")[1]
        await self._audit.record(
            by, action, object_type=f"acd_{kind}", object_id=key, details=details
        )

    async def _change(
        self, changed: Configuration, keep: Callable[[], Awaitable[None]]
    ) -> None:
        """Serve `changed` (the running ACD refuses what is in use), then keep it;
        when it cannot be kept, serve the previous one again."""
        before = self._config
        await self._serve(changed)
        try:
            await keep()
        except ConfigurationNotSaved:
            await self._serve(before)
            raise

    async def _serve(self, config: Configuration) -> None:
        await self._acd.reconfigure(
            queues_of(config), seats_of(config, self._acd.settings.pbx_id)
        )
        self._config = config


class Served(Sequence[str]):
    """The codes of the queues (or the logins of the seats) served now, read at
    each use: for parts built once that list them (report filters)."""

    def __init__(self, setup: AcdAdministration, *, seats: bool = False) -> None:
        self._setup = setup
        self._seats = seats

    def _now(self) -> list[str]:
        config = self._setup.configuration
        if self._seats:
            return [seat.login for seat in config.seats]
        return [queue.queue_id for queue in config.queues]

    def __len__(self) -> int:
        return len(self._now())

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._now()[index]


def _none(_queue_id: str) -> Sequence[str]:
    return ()
