"""Throwaway PostgreSQL and Redis servers on loopback, started by the tests."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.2),
        ):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s}s")


@dataclass(frozen=True, slots=True)
class PostgresServer:
    port: int
    user: str
    data: Path
    log: Path
    options: str
    run_as: tuple[str, ...] = ()

    def stop(self) -> None:
        """`pg_ctl stop` in fast mode: open sessions are cut off, as in a restart."""
        _pg_ctl(self, "-m", "fast", "-w", "stop")

    def start(self) -> None:
        """Start it again on the same port and data directory."""
        _pg_ctl(self, "-o", self.options, "-l", str(self.log), "-w", "start")
        _wait_for_port(self.port, 30)

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart`: "fast" cuts open sessions off, "immediate" is a crash,
        which loses the last commits unless a CHECKPOINT wrote them (the server
        acknowledges commits before writing them)."""
        _pg_ctl(self, "-m", mode, "-l", str(self.log), "-w", "restart")
        _wait_for_port(self.port, 30)

    async def execute(self, statement: str) -> None:
        """Run one statement (CREATE DATABASE, CHECKPOINT...) as the superuser."""
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        """A plain libpq/asyncpg DSN."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


@contextlib.contextmanager
def postgres(keep: Path | None = None) -> Iterator[PostgresServer]:
    """initdb into a temp dir and start PostgreSQL 15 on a free loopback port.

    `keep`: a data directory that outlives the server (a bench's cached data):
    initdb only if it holds no cluster yet, and a clean stop at the end.
    As root (CI), the server runs as the `postgres` user, since initdb refuses root.
    """
    as_root = os.geteuid() == 0
    run_as: list[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    user = "postgres" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    tmp = Path(tempfile.mkdtemp(prefix="cc-pg-"))
    data = keep if keep is not None else tmp / "data"
    if as_root:
        shutil.chown(tmp, "postgres", "postgres")
    if not (data / "PG_VERSION").is_file():
        _initdb(data, user, run_as)
    port = free_port()
    options = (
        f"-c port={port} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off "
        f"-c unix_socket_directories={tmp} "
        "-c max_connections=300 -c shared_buffers=256MB"
    )
    server = PostgresServer(
        port=port,
        user=user,
        data=data,
        log=tmp / "log",
        options=options,
        run_as=tuple(run_as),
    )
    server.start()
    try:
        yield server
    finally:
        mode = "immediate" if keep is None else "fast"
        _pg_ctl(server, "-m", mode, "-w", "stop", check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _initdb(data: Path, user: str, run_as: list[str]) -> None:
    data.parent.mkdir(parents=True, exist_ok=True)
    if run_as:
        data.mkdir(exist_ok=True)
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        [
            *run_as,
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            user,
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
            # as a production database: letters beyond ASCII have a case, which
            # full-text search folds ("Счёт" finds "счёт"); sorting stays C's
            "--lc-ctype=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )


def _pg_ctl(server: PostgresServer, *args: str, check: bool = True) -> None:
    subprocess.run(
        [*server.run_as, str(PG_BIN / "pg_ctl"), "-D", str(server.data), *args],
        check=check,
        capture_output=True,
    )


@dataclass(frozen=True, slots=True)
class RedisServer:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextlib.contextmanager
def redis(port: int | None = None) -> Iterator[RedisServer]:
    """redis-server on a free loopback port (or `port`, to restart one), without
    persistence."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, 10)
        yield RedisServer(port=port)
    finally:
        process.terminate()
        process.wait(10)
