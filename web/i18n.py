"""Languages: Chinese by default, English on request, from catalogues compiled at start-up.

The ``.po`` catalogues in ``web/translations`` are the source; the app compiles each into a
``.mo`` under its instance folder when it is missing or older, so no binary is kept in the
repository and a fresh checkout needs no build step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response

from web.navigation import same_site_path

CATALOGUES = Path(__file__).with_name("translations")
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_Hans_CN"
# Locale code -> its name in its own language (shown as-is in the switcher, never translated).
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
HTML_LANG = {"zh_Hans_CN": "zh-CN", "en": "en"}
LANGUAGE_COOKIE = "tiaojie_lang"

babel = Babel()
bp = Blueprint("i18n", __name__)


def init_app(app: Flask) -> None:
    """Compile the catalogues and choose each request's language."""
    compiled = compile_catalogues(Path(app.instance_path) / "translations")
    app.config.update(
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        BABEL_TRANSLATION_DIRECTORIES=str(compiled),
    )
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.context_processor(_language_context)


def select_locale() -> str:
    """The language chosen in the session (or its long-lived cookie); Chinese otherwise."""
    chosen = session.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LOCALE


def compile_catalogues(target: Path) -> Path:
    """Compile every ``.po`` under :data:`CATALOGUES` into ``target``; return ``target``."""
    for po in CATALOGUES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo = target / po.relative_to(CATALOGUES).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalogue = read_po(handle, locale=po.parts[-3])
        # Write aside and rename: several workers may start at once.
        draft = mo.with_name(f".{mo.name}.{secrets.token_hex(8)}")
        with draft.open("wb") as handle:
            write_mo(handle, catalogue)
        os.replace(draft, mo)
    return target


@bp.post("/language")
def switch_language() -> Response:
    """Remember the chosen language and go back to the page it was chosen on."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session["lang"] = lang
    response = redirect(same_site_path(request.form.get("next")) or url_for("home.index"))
    response.set_cookie(
        LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _language_context() -> dict[str, object]:
    locale = str(get_locale() or DEFAULT_LOCALE)
    return {"languages": LANGUAGES, "current_language": locale,
            "html_lang": HTML_LANG.get(locale, "zh-CN")}
