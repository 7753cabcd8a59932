"""The file store of the application, and serving stored bytes safely.

Stored files are served with the type their content was found to be (never the one a browser
sent), ``nosniff``, a sandboxing Content-Security-Policy and a ``Content-Disposition``: photos
inline (so they can be looked at), everything else as a download.  No stored file is ever HTML or
SVG: uploads of those are refused.
"""

from __future__ import annotations

import io

from flask import Flask, current_app, send_file
from werkzeug.wrappers import Response

from web.settings import Settings
from workflows.storage import FileStore

STORE_KEY = "tiaojie.files"
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def init_app(app: Flask, settings: Settings) -> None:
    """Open the file store in the configured folder."""
    app.extensions[STORE_KEY] = FileStore(settings.files_folder)


def file_store() -> FileStore:
    """The application's file store."""
    store: FileStore = current_app.extensions[STORE_KEY]
    return store


def stored_response(content: bytes, *, media_type: str, filename: str) -> Response:
    """``content`` as a response that a browser will never run as a page."""
    inline = media_type in INLINE_TYPES
    response = send_file(io.BytesIO(content), mimetype=media_type, as_attachment=not inline,
                         download_name=filename, max_age=0, etag=False, conditional=False)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
