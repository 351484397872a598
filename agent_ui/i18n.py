"""The pages' catalogues and template environments: each language's `.po` file is
compiled in memory at start (no `.mo` file is kept in the tree), and each language
gets its own Jinja2 environment with those translations installed, so a template
renders in one language throughout.

Reads files once, at start; renders nothing itself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from agent_ui.language import LANGUAGES

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "messages"

ENVIRONMENTS: Mapping[str, web.AppKey[jinja2.Environment]] = {
    code: web.AppKey(f"agent_ui_jinja_{code}", jinja2.Environment) for code in LANGUAGES
}
TRANSLATIONS: web.AppKey[Mapping[str, Translations]] = web.AppKey(
    "agent_ui_translations", Mapping
)


def catalogue_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compiled(language: str, locale_dir: Path = LOCALE_DIR) -> Translations:
    """The language's catalogue compiled from its `.po` file; fuzzy entries are
    left out, as `pybabel compile` leaves them out."""
    with catalogue_path(language, locale_dir).open("rb") as source:
        catalogue = read_po(source, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def setup_templates(
    app: web.Application, loader: jinja2.BaseLoader
) -> Mapping[str, Translations]:
    """One template environment per language on `app`, sharing `loader`; the
    compiled catalogues are kept at `TRANSLATIONS` for texts made in Python."""
    translations = {code: compiled(code) for code in LANGUAGES}
    for code, key in ENVIRONMENTS.items():
        env = aiohttp_jinja2.setup(
            app,
            loader=loader,
            app_key=key,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(translations[code], newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    app[TRANSLATIONS] = translations
    return translations
