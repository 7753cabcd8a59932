"""The home page with its demo logins, the health check, and the front-end libraries."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from web.assets import NODE_MODULES, PACKAGES, installed_version
from web.settings import PROJECT_ROOT
from workflows.organisation import ROLES


def test_the_home_page_says_what_the_system_is_and_lists_the_roles(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "多级矛盾纠纷调解" in page and "司法确认" in page
    assert "尚未载入演示账号" in page
    for name in ("调解员", "法官", "网格员", "管理员"):
        assert name in page
    assert "登录" in page


def test_demo_logins_are_listed_per_role(app: Flask) -> None:
    app.config["DEMO_LOGINS"] = (
        {"role": "mediator", "username": "demo-mediator", "password": "demo-pass-1",
         "display_name": "李调解", "unit": "T01-V1-G1"},
    )
    page = app.test_client().get("/").get_data(as_text=True)
    assert "demo-mediator" in page and "demo-pass-1" in page and "李调解" in page
    listed_roles = page.split('class="roles"', 1)[1]
    assert "调解员" not in listed_roles  # the mediator has a login; the others are listed


def test_the_health_check_answers(client: FlaskClient) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}


def test_the_libraries_are_served_from_node_modules_with_their_version(
    client: FlaskClient,
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert f"/vendor/htmx/htmx.js?v={installed_version('htmx')}" in page
    with client.get("/vendor/bpmn-js/bpmn-modeler.production.min.js") as response:
        assert response.status_code == 200
        assert response.data == (NODE_MODULES / "bpmn-js/dist/bpmn-modeler.production.min.js"
                                 ).read_bytes()
        assert "max-age=31536000" in response.headers["Cache-Control"]


def test_only_the_dist_folders_of_the_named_packages_are_reachable(client: FlaskClient) -> None:
    assert client.get("/vendor/bpmn-js/../package.json").status_code == 404
    assert client.get("/vendor/bpmn-js/%2e%2e/package.json").status_code == 404
    assert client.get("/vendor/inferno/index.js").status_code == 404
    assert client.get("/vendor/dmn-js/no-such-file.js").status_code == 404


def test_package_versions_are_pinned_and_locked() -> None:
    manifest = json.loads((PROJECT_ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((PROJECT_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert set(manifest["dependencies"]) == set(PACKAGES.values())
    for package, version in manifest["dependencies"].items():
        assert version[0].isdigit(), f"{package} must be pinned to an exact version"
        assert lock["packages"][f"node_modules/{package}"]["version"] == version
        assert installed_version(next(k for k, v in PACKAGES.items() if v == package)) == version


def test_every_role_is_offered_on_the_home_page(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    listed = page.split('class="roles"', 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == len(ROLES)
