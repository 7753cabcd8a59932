"""Front-end libraries served straight from ``node_modules`` (installed by ``npm ci``).

Only the ``dist`` folders of the packages named here are reachable; the URL carries the installed
version, so browsers may cache the files for long and still pick up an upgrade at once.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory, url_for
from werkzeug.wrappers import Response

from web.settings import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"
# URL name -> npm package whose dist folder is served.
PACKAGES = {"bpmn-js": "bpmn-js", "dmn-js": "dmn-js", "htmx": "htmx.org",
            "signature_pad": "signature_pad"}
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("assets", __name__)


def init_app(app: Flask) -> None:
    """Serve the libraries and let templates link to them."""
    app.register_blueprint(bp)
    app.add_template_global(vendor_url)
    app.add_template_global(missing_packages)


@cache
def installed_version(package: str) -> str | None:
    """The installed version of an npm package, or None when it is not installed."""
    manifest = NODE_MODULES / PACKAGES[package] / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def missing_packages() -> list[str]:
    """The npm packages the pages need but that are not installed (``npm ci`` was not run)."""
    return [PACKAGES[name] for name in PACKAGES if installed_version(name) is None]


def vendor_url(package: str, filename: str) -> str:
    """The URL of a file in a package's dist folder."""
    return url_for("assets.vendor", package=package, filename=filename,
                   v=installed_version(package) or "missing")


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Response:
    """A file of an installed front-end library."""
    if package not in PACKAGES:
        abort(404)
    folder: Path = NODE_MODULES / PACKAGES[package] / "dist"
    return send_from_directory(folder, filename, max_age=ONE_YEAR)
