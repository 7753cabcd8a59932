"""Chinese by default, English on request; both catalogues complete for every visible string."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.web.world import post_form
from web.i18n import CATALOGUES, LANGUAGE_COOKIE, LANGUAGES, compile_catalogues
from web.labels import ROLE_NAMES, STATUS_NAMES, TIER_NAMES, UNIT_KIND_NAMES
from web.settings import PROJECT_ROOT
from workflows.organisation import ROLES, TIERS, UNIT_KINDS

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalogue(locale: str) -> dict[str, str]:
    """msgid -> msgstr of a committed catalogue."""
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale=locale) if m.id}


def source_strings() -> set[str]:
    """Every string the code and templates pass through gettext."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]  # Babel is untyped
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT / "web"), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_visible_string_is_translated(locale: str) -> None:
    translated = catalogue(locale)
    untranslated = sorted(msgid for msgid, msgstr in translated.items() if not msgstr)
    assert untranslated == []
    assert sorted(source_strings() - set(translated)) == []


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_translations_keep_their_placeholders(locale: str) -> None:
    for msgid, msgstr in catalogue(locale).items():
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_both_catalogues_hold_the_same_messages_and_nothing_stale() -> None:
    chinese, english = catalogue("zh_Hans_CN"), catalogue("en")
    assert set(chinese) == set(english)
    assert sorted(set(chinese) - source_strings()) == []


def test_every_code_shown_has_a_name() -> None:
    assert set(ROLE_NAMES) == set(ROLES)
    assert set(TIER_NAMES) == set(TIERS)
    assert set(UNIT_KIND_NAMES) == set(UNIT_KINDS)
    assert set(STATUS_NAMES) == {"running", "completed", "error", "suspended", "terminated"}


def test_catalogues_are_compiled_once_into_the_instance_folder(tmp_path: Path) -> None:
    compile_catalogues(tmp_path)
    compiled = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.mo"))
    assert compiled == ["en/LC_MESSAGES/messages.mo", "zh_Hans_CN/LC_MESSAGES/messages.mo"]
    stamp = (tmp_path / compiled[0]).stat().st_mtime_ns
    compile_catalogues(tmp_path)
    assert (tmp_path / compiled[0]).stat().st_mtime_ns == stamp
    assert not list(CATALOGUES.rglob("*.mo"))  # nothing binary next to the sources


def test_pages_are_chinese_by_default(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "多级矛盾纠纷调解" in page


def test_english_is_chosen_with_the_switcher_and_remembered(client: FlaskClient) -> None:
    response = post_form(client, "/language", {"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert "Multi-tier dispute mediation" in client.get("/").get_data(as_text=True)
    # A new session (the browser was closed) still finds the language in its cookie.
    client.delete_cookie("session")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert client.get_cookie(LANGUAGE_COOKIE).value == "en"  # type: ignore[union-attr]


def test_the_switcher_refuses_unknown_languages_and_foreign_targets(
    client: FlaskClient,
) -> None:
    assert post_form(client, "/language", {"lang": "fr"}).status_code == 400
    response = post_form(client, "/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
