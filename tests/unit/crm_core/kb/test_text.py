"""Search words: Snowball stems for Russian and English, stop words, the typed
query (the last word unfinished), and the snippet around the words found."""

from __future__ import annotations

import pytest

from crm_core.kb.text import snippet, stem, stems, terms, words


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (["счёт", "счета", "счетов", "Счёт", "счету"], "счет"),
        (["тарифы", "тарифов", "тарифом"], "тариф"),
        (["billing", "billed", "bills", "Bill"], "bill"),
        (["routers", "router"], "router"),
    ],
)
def test_inflected_forms_share_a_stem_when_stemmed(
    forms: list[str], expected: str
) -> None:
    assert {stem(w) for w in words(" ".join(forms))} == {expected}


def test_stop_words_and_punctuation_are_left_out_when_indexed() -> None:
    assert stems("The router, and the счёт: и всё!") == "router счет"


def test_every_word_must_match_and_the_last_is_a_prefix_when_still_typed() -> None:
    typed = terms("оплата счета")
    assert typed.words == ("оплата", "счета")
    assert typed.prefix
    assert typed.fts5() == '"оплат" AND "счет"*'
    assert typed.tsquery() == "оплата & счета:*"


def test_last_word_is_complete_when_followed_by_a_space() -> None:
    typed = terms("billing ")
    assert not typed.prefix
    assert typed.fts5() == '"bill"'
    assert typed.tsquery() == "billing"


def test_query_of_stop_words_only_is_empty_when_parsed() -> None:
    assert terms("the and и").empty
    assert terms("").empty
    assert not terms("how is the").prefix


def test_query_words_hold_no_search_syntax_when_typed_with_it() -> None:
    typed = terms('bill" OR * :* & | ! ( router')
    assert typed.words == ("bill", "router")
    assert typed.fts5() == '"bill" AND "router"*'


def test_snippet_marks_the_inflected_words_when_found_in_the_text() -> None:
    text = "Перед звонком проверьте номер. Счёт выставляется первого числа месяца."
    found = snippet(text, terms("счета"))
    assert [s.text for s in found.segments if s.hit] == ["Счёт"]
    assert "".join(s.text for s in found.segments) == text
    assert not found.cut_before
    assert not found.cut_after


def test_snippet_starts_near_the_first_hit_when_the_text_is_long() -> None:
    text = "word " * 100 + "the customer was billed twice " + "more " * 100
    found = snippet(text, terms("billing"))
    joined = "".join(s.text for s in found.segments)
    assert "billed" in joined
    assert found.cut_before
    assert found.cut_after
    assert len(joined) <= 220
    assert not joined.startswith(" ")


def test_snippet_marks_the_unfinished_word_as_a_prefix_when_typed() -> None:
    found = snippet("Reset the router first.", terms("rout"))
    assert [s.text for s in found.segments if s.hit] == ["router"]


def test_snippet_is_the_beginning_when_no_word_is_in_the_text() -> None:
    found = snippet("First line of the body.", terms("title only"))
    assert [s.hit for s in found.segments] == [False]
    assert found.segments[0].text == "First line of the body."
