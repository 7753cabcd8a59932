"""The secret key, session cookie settings, CSRF protection and security headers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

SECRET_ENV = "TIAOJIE_SECRET_KEY"
# Set to 0 to serve a login over plain HTTP from another machine (a LAN demo); browsers accept
# Secure cookies from http://127.0.0.1 and http://localhost without it.
SECURE_COOKIES_ENV = "TIAOJIE_SECURE_COOKIES"
SECRET_FILE = "secret_key"

csrf = CSRFProtect()

# Scripts only from our own origin (no inline script anywhere); the modelers set inline styles.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    """Configure keys and cookies, turn on CSRF for every form and add security headers."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(Path(app.instance_path))
    secure = not (app.debug or app.testing) and os.environ.get(SECURE_COOKIES_ENV, "1") != "0"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; a long form stays valid
    )
    csrf.init_app(app)
    app.after_request(_security_headers)


def secret_key(instance: Path) -> str:
    """``TIAOJIE_SECRET_KEY``, else a random key kept in the instance folder (shared by workers)."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured
    path = instance / SECRET_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".{SECRET_FILE}.{secrets.token_hex(8)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        try:
            # A hard link publishes the whole file at once and fails if another process won.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
