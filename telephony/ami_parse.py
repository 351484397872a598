"""AMI wire framing: bytes in, messages out, and messages back to bytes. No I/O.

AMI is CRLF lines of `Key: Value`, one block per message, blocks ended by a blank
line; a connection opens with one banner line (`Asterisk Call Manager/9.0.0`).
See ../shared/asterisk-traces/ami-basics.ami.txt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BLOCK_END = b"\r\n\r\n"
MAX_BLOCK_BYTES = 256 * 1024
"""A block longer than this is dropped up to its end (a runaway or hostile peer)."""


class AmiMessage:
    """One AMI block: fields in wire order; a key may repeat (`Output`, `Variable`)."""

    __slots__ = ("fields", "repeated")

    def __init__(
        self, fields: dict[str, str], repeated: dict[str, list[str]] | None = None
    ) -> None:
        self.fields = fields
        """The first value of each key."""
        self.repeated = repeated
        """Every value of the keys that occur more than once, or None."""

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> AmiMessage:
        fields: dict[str, str] = {}
        repeated: dict[str, list[str]] | None = None
        for key, value in pairs:
            if key in fields:
                repeated = repeated or {}
                repeated.setdefault(key, [fields[key]]).append(value)
            else:
                fields[key] = value
        return cls(fields, repeated)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    def __contains__(self, key: str) -> bool:
        return key in self.fields

    def all(self, key: str) -> list[str]:
        """Every value of `key`, in wire order."""
        if self.repeated is not None and key in self.repeated:
            return list(self.repeated[key])
        return [self.fields[key]] if key in self.fields else []

    def pairs(self) -> list[tuple[str, str]]:
        """The fields as (key, value) pairs, repeated keys expanded in place."""
        out: list[tuple[str, str]] = []
        for key, value in self.fields.items():
            if self.repeated is not None and key in self.repeated:
                out.extend((key, v) for v in self.repeated[key])
            else:
                out.append((key, value))
        return out

    @property
    def event(self) -> str | None:
        return self.fields.get("Event")

    @property
    def response(self) -> str | None:
        return self.fields.get("Response")

    @property
    def action(self) -> str | None:
        return self.fields.get("Action")

    @property
    def action_id(self) -> str | None:
        return self.fields.get("ActionID")

    def __repr__(self) -> str:
        return f"AmiMessage({self.pairs()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AmiMessage) and self.pairs() == other.pairs()

    __hash__ = None  # type: ignore[assignment]  # mutable fields: not hashable


@dataclass(frozen=True, slots=True)
class Banner:
    """The first line a server sends, e.g. `Asterisk Call Manager/9.0.0`."""

    text: str


@dataclass(frozen=True, slots=True)
class FramingProblem:
    """Something on the wire that is not valid AMI; the framer skipped it."""

    reason: str
    raw: str
    """The offending bytes, decoded and cut to 200 characters."""


Parsed = AmiMessage | Banner | FramingProblem


class AmiFramer:
    """Splits a byte stream into messages; keeps a partial block for the next feed.

    `expect_banner` is True on the client side: the first line is the banner.
    `skip_events` names events dropped unparsed (a block that starts with
    `Event: <name>`): the noise of a busy PBX costs one lookup instead of a parse.
    """

    __slots__ = ("_buffer", "_expect_banner", "_max_block", "_skip", "_skipping")

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        max_block_bytes: int = MAX_BLOCK_BYTES,
        skip_events: Iterable[str] = (),
    ) -> None:
        self._buffer = b""
        self._expect_banner = expect_banner
        self._max_block = max_block_bytes
        self._skipping = False
        self._skip = frozenset(f"Event: {name}".encode() for name in skip_events)

    @property
    def pending_bytes(self) -> int:
        """Bytes of an unfinished block held for the next feed."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Parsed]:
        buffer = self._buffer + data if self._buffer else data
        out: list[Parsed] = []
        if self._expect_banner:
            end = buffer.find(b"\r\n")
            if end < 0:
                self._buffer = buffer
                return out
            self._expect_banner = False
            line = buffer[:end].decode("utf-8", "replace")
            buffer = buffer[end + 2 :]
            if ":" in line:  # no banner: a block started at once
                buffer = line.encode() + b"\r\n" + buffer
            else:
                out.append(Banner(line))
        blocks = buffer.split(BLOCK_END)
        rest = blocks.pop()
        skip = self._skip
        for raw in blocks:
            if self._skipping:
                self._skipping = False
                continue
            if raw:
                if skip and _first_line(raw) in skip:
                    continue
                if len(raw) > self._max_block:
                    out.append(_too_long(raw, self._max_block))
                    continue
                parse_block(raw, out)
        if len(rest) > self._max_block:
            if not self._skipping:  # one report per runaway block
                out.append(_too_long(rest, self._max_block))
            # Keep a possible half of the block end for the next feed.
            rest = rest[-3:]
            self._skipping = True
        self._buffer = rest
        return out

    def reset(self) -> FramingProblem | None:
        """Forget a partial block (connection closed); report it if there was one."""
        raw, self._buffer = self._buffer, b""
        self._skipping = False
        if raw.strip():
            return FramingProblem(
                "connection closed inside a block", raw[:200].decode("utf-8", "replace")
            )
        return None


def _too_long(raw: bytes, limit: int) -> FramingProblem:
    return FramingProblem(
        f"block longer than {limit} bytes dropped",
        raw[:200].decode("utf-8", "replace"),
    )


def _first_line(raw: bytes) -> bytes:
    end = raw.find(b"\r\n")
    return raw if end < 0 else raw[:end]


def parse_block(raw: bytes, out: list[Parsed]) -> None:
    """Append the block's message, and a problem for each line that is not a field
    (the good fields of a block are kept: one bad line loses nothing else)."""
    text = raw.decode("utf-8", "replace")
    # The usual block, every line `Key: Value` and no key twice, split in C: half
    # the cost of the line-by-line parse that also copes with everything else.
    lines = text.split("\r\n")
    try:
        fields = dict([line.split(": ", 1) for line in lines])
    except ValueError:  # a line without ": "
        fields = {}
    keys = "".join(fields)
    usual = len(fields) == len(lines) and "" not in fields
    if usual and " " not in keys and ":" not in keys:
        out.append(AmiMessage(fields))
        return
    parse_lines(text, out)


def parse_lines(text: str, out: list[Parsed]) -> None:
    fields: dict[str, str] = {}
    repeated: dict[str, list[str]] | None = None
    bad: list[str] = []
    for line in text.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            if line:
                bad.append(line)
            continue
        if value.startswith(" "):
            value = value[1:]
        if key in fields:
            repeated = repeated or {}
            repeated.setdefault(key, [fields[key]]).append(value)
        else:
            fields[key] = value
    if fields:
        out.append(AmiMessage(fields, repeated))
    else:
        out.append(FramingProblem("block without a `Key: Value` line", text[:200]))
        return
    out.extend(FramingProblem("line without `Key: Value`", line[:200]) for line in bad)


def encode(pairs: Iterable[tuple[str, str]]) -> bytes:
    """One AMI block as bytes. A key or value containing CR or LF is refused
    (it would let a value inject fields or end the block)."""
    parts: list[str] = []
    for key, value in pairs:
        if "\r" in key or "\n" in key or "\r" in value or "\n" in value:
            raise ValueError(f"AMI field {key!r} contains a line break")
        parts.append(f"{key}: {value}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode()


def encode_message(message: AmiMessage) -> bytes:
    return encode(message.pairs())
