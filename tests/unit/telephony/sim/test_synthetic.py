"""The benchmark's pre-generated calls: repeatable and well-formed."""

from __future__ import annotations

from telephony.ami_parse import AmiFramer, AmiMessage
from telephony.sim.dialplan import parse_callerid
from telephony.sim.synthetic import synthetic_calls


def test_same_bytes_when_seed_is_the_same() -> None:
    assert list(synthetic_calls(20, seed=3)) == list(synthetic_calls(20, seed=3))
    assert list(synthetic_calls(20, seed=3)) != list(synthetic_calls(20, seed=4))


def test_every_call_ends_with_two_hangups_when_parsed() -> None:
    framer = AmiFramer(expect_banner=False)
    messages = [
        m
        for chunk in synthetic_calls(50)
        for m in framer.feed(chunk)
        if isinstance(m, AmiMessage)
    ]
    hangups = [m for m in messages if m.event == "Hangup"]
    assert len(hangups) == 100
    assert len({m["Linkedid"] for m in hangups}) == 50
    assert framer.pending_bytes == 0


def test_callerid_is_split_when_given_as_asterisk_writes_it() -> None:
    assert parse_callerid('"Ivan Petrov" <+74951234567>') == (
        "+74951234567",
        "Ivan Petrov",
    )
    assert parse_callerid("84951112233") == ("84951112233", "<unknown>")
