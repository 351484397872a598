"""Real Asterisk 20 AMI traces (copied from the design notes' asterisk-traces/) and a
reader that turns them back into wire bytes and the actions the client sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from telephony.ami_parse import AmiFramer, AmiMessage

HERE = Path(__file__).parent
_LINE = re.compile(r"^\s*([0-9.]+) (<<|>>|!!) ?(.*)$")
CLOSED = "[connection closed by Asterisk]"
BANNER = "Asterisk Call Manager/"


@dataclass(frozen=True, slots=True)
class Connection:
    """What Asterisk sent on one connection, and what the client sent on it."""

    received: bytes
    sent: list[AmiMessage]


def connections(name: str) -> list[Connection]:
    """The trace `name` split into its connections."""
    out: list[Connection] = []
    received: list[str] = []
    sent: list[str] = []
    for line in (HERE / name).read_text().splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        # Trailing blanks are Asterisk's own (`AccountCode: ` for an empty value).
        direction, text = match.group(2), match.group(3)
        # A banner opens a new connection: restart.ami.txt shows no close note
        # where Asterisk dropped the socket on `core restart now`.
        new = text == CLOSED or text.startswith(BANNER)
        if direction == "<<" and new:
            if received or sent:
                out.append(_connection(received, sent))
            received, sent = ([text] if text != CLOSED else []), []
        elif direction == "<<":
            received.append(text)
        elif direction == ">>":
            sent.append(text)
    if received or sent:
        out.append(_connection(received, sent))
    return out


def _connection(received: list[str], sent: list[str]) -> Connection:
    wire = "".join(f"{line}\r\n" for line in received).encode()
    framer = AmiFramer(expect_banner=False)
    actions = framer.feed("".join(f"{line}\r\n" for line in sent).encode())
    return Connection(
        received=wire, sent=[a for a in actions if isinstance(a, AmiMessage)]
    )


def messages(name: str) -> list[list[AmiMessage]]:
    """Every message Asterisk sent, per connection, parsed by the framer."""
    out = []
    for conn in connections(name):
        parsed = AmiFramer().feed(conn.received)
        out.append([m for m in parsed if isinstance(m, AmiMessage)])
    return out


def timed_messages(name: str) -> list[tuple[float, AmiMessage]]:
    """What Asterisk sent in the trace `name` (every connection in turn), each
    message with the trace's seconds at its first line."""
    out: list[tuple[float, AmiMessage]] = []
    pairs: list[tuple[str, str]] = []
    started = 0.0
    for line in (HERE / name).read_text().splitlines():
        match = _LINE.match(line)
        if match is None or match.group(2) != "<<":
            continue
        text = match.group(3).rstrip()
        if not text:
            if pairs:
                out.append((started, AmiMessage.of(pairs)))
            pairs = []
            continue
        key, sep, value = text.partition(":")
        if not sep or " " in key:
            continue  # a banner or a note
        if not pairs:
            started = float(match.group(1))
        pairs.append((key, value.removeprefix(" ")))
    return out
