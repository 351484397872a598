"""CPU time of processes and their descendants, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_s(pid: int, *, reaped: bool = False) -> float:
    """User plus system seconds the process has used (0 once it is gone); with
    `reaped`, also those of its children that ended and it waited for."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks * TICK_S


def descendants(pid: int) -> list[int]:
    """Every living process under `pid`, not `pid` itself."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def postmaster(port: int) -> int:
    """The PostgreSQL server listening on `port` (started with `-c port=PORT`)."""
    wanted = f"port={port}"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if words[0].endswith("postgres") and any(wanted in w.split() for w in words):
            return int(entry.name)
    raise LookupError(f"no PostgreSQL server started with {wanted}")


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of `pid` and every process under it, those that ended too (a
    database backend that closed): it only grows."""
    return sum(cpu_s(p, reaped=True) for p in [pid, *descendants(pid)])
