"""The articles' simple formatting: headings, lists, steps, bold and links read
into blocks; anything else is text (HTML stays text)."""

from __future__ import annotations

from crm_core.kb.markup import Block, BlockKind, Span, blocks, plain, spans

BODY = """# Before you call

Check the **account number** first.
It is on the bill.

- the router's lights
- the cable

1. Switch it off.
2) Wait ten seconds.
See https://example.org/help, then call back."""


def test_body_reads_as_blocks_when_formatted() -> None:
    found = blocks(BODY)
    assert [b.kind for b in found] == [
        BlockKind.HEADING,
        BlockKind.PARAGRAPH,
        BlockKind.BULLETS,
        BlockKind.NUMBERS,
        BlockKind.PARAGRAPH,
    ]
    assert found[1].lines[0] == (
        Span(text="Check the "),
        Span(text="account number", bold=True),
        Span(text=" first."),
    )
    assert len(found[1].lines) == 2
    assert [line[0].text for line in found[2].lines] == [
        "the router's lights",
        "the cable",
    ]
    assert [line[0].text for line in found[3].lines] == [
        "Switch it off.",
        "Wait ten seconds.",
    ]


def test_web_address_becomes_a_link_without_the_punctuation_after_it() -> None:
    assert spans("See https://example.org/help, then") == (
        Span(text="See "),
        Span(text="https://example.org/help", href="https://example.org/help"),
        Span(text=", then"),
    )


def test_html_stays_text_when_written_in_a_body() -> None:
    [block] = blocks('<script>alert("x")</script> javascript:alert(1)')
    assert block == Block(
        kind=BlockKind.PARAGRAPH,
        lines=((Span(text='<script>alert("x")</script> javascript:alert(1)'),),),
    )


def test_plain_text_drops_the_marks_when_made_for_a_snippet() -> None:
    assert plain("# Title\n\n- **one**\n- two") == "Title\none\ntwo"


def test_hash_without_a_space_is_text_when_not_a_heading() -> None:
    assert blocks("#hashtag")[0].kind is BlockKind.PARAGRAPH
