"""The pages' catalogues hold exactly the texts the code and templates use: none
missing (every text has its Russian words), none stale, and each compiles with its
placeholders intact. Extraction is Babel's own, as `pybabel extract` runs it."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from agent_ui.i18n import LOCALE_DIR, catalogue_path, compiled
from agent_ui.language import LANGUAGES

ROOT = LOCALE_DIR.parent.parent
TRANSLATED = ("ru",)
"""Languages whose every text needs its own words (English is the source)."""


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    CommandLineInterface().run(  # type: ignore[no-untyped-call]  # Babel has no hints
        [
            "pybabel", "-q", "extract", "-F", str(LOCALE_DIR / "babel.cfg"),
            "--no-location", "-o", str(pot), str(ROOT),
        ]
    )  # fmt: skip
    with pot.open("rb") as source:
        return read_po(source)


def _catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language)


def _ids(catalogue: Catalog) -> set[str]:
    return {str(m.id) for m in catalogue if m.id and not m.fuzzy}


def test_extraction_finds_the_texts_when_it_reads_code_and_templates(
    extracted: Catalog,
) -> None:
    ids = _ids(extracted)
    assert {"Agent desktop", "Incoming call", "Not allowed"} <= ids
    assert len(ids) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_missing_or_stale_text_when_compared_with_the_code(
    extracted: Catalog, language: str
) -> None:
    held = _ids(_catalogue(language))
    used = _ids(extracted)
    assert sorted(used - held) == [], "missing: run the update in docs/pages.md"
    assert sorted(held - used) == [], "stale: run the update in docs/pages.md"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_has_its_words_when_the_language_is_translated(
    language: str,
) -> None:
    untranslated = [
        str(m.id) for m in _catalogue(language) if m.id and (not m.string or m.fuzzy)
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_compiles_with_its_placeholders_when_loaded(language: str) -> None:
    problems = [(m.id, errors) for m, errors in _catalogue(language).check()]
    assert problems == []
    assert compiled(language).gettext("Agent desktop")
