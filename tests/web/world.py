"""Test data for the web tests: the district, one person per role, a deployed bundle, instances
in each state, and helpers that log in and send forms the way a browser does."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.definitions import read_paths
from engine.runtime import Engine
from web.app import create_app
from web.settings import Settings
from workflows.district import COURT, DISTRICT, TreeSize, build_district
from workflows.organisation import COURT_ROLES, ROLES
from workflows.people import create_person

DATA = Path(__file__).with_name("data")
PASSWORD = "correct-horse-9"
GRID = "T01-V1-G1"
# 2031: 正月初一 is 01-23; a schedule holds the Spring Festival and National Day blocks.
HOLIDAYS_2031 = ("date,kind\n2031-01-01,holiday\n2031-01-04,workday\n2031-01-23,holiday\n"
                 "2031-10-01,holiday\n")

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def unit_of(role: str) -> str:
    """The unit a test person holds ``role`` in."""
    if role in COURT_ROLES:
        return COURT
    return DISTRICT if role == "admin" else GRID


@dataclass(frozen=True)
class World:
    """Ids of what :func:`populate` created."""

    deployment_id: int
    v2_deployment_id: int
    v2_definition_id: int
    running: int
    errored: int
    suspended: int
    to_suspend: int
    to_terminate: int
    on_v1: int


def bundle(replace: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The test bundle (triage.bpmn and tier.dmn), with files replaced as given."""
    files = read_paths([DATA])
    files.update(replace or {})
    return files


def v2_triage() -> bytes:
    """triage.bpmn with one task renamed: a second version of the process."""
    original = (DATA / "triage.bpmn").read_bytes()
    return original.replace("评估纠纷".encode(), "评估纠纷（新）".encode())


def populate(engine: Engine, roles: Iterable[str] = ROLES) -> World:
    """The district tree, one person per role (username = role), two versions of the triage
    process and instances in each state."""
    with engine.transaction() as session:
        build_district(session, TreeSize(1, 1, 1))
        for role in roles:
            create_person(
                session, username=role, display_name=f"测试{role}", password=PASSWORD,
                roles=[(role, unit_of(role))], phone="13812345678", now=engine.now(),
            )
        first = engine.deploy(session, bundle(), actor="test")
        v1 = first.definitions[0].id
        on_v1 = engine.start(session, "triage", data={"amount": 1, "divisor": 1}, actor="test",
                             business_key="RC-2026-0100", definition_id=v1).id
        second = engine.deploy(session, bundle({"triage.bpmn": v2_triage()}), actor="test")

        def start(key: str, divisor: int) -> int:
            return engine.start(session, "triage", data={"amount": 500, "divisor": divisor},
                                actor="test", business_key=key).id

        running, errored = start("RC-2026-0001", 1), start("RC-2026-0002", 0)
        suspended, to_suspend, to_terminate = (start(f"RC-2026-000{n}", 1) for n in (3, 4, 5))
        engine.suspend(session, suspended, actor="test")
    return World(
        deployment_id=first.id, v2_deployment_id=second.id,
        v2_definition_id=second.definitions[0].id, running=running, errored=errored,
        suspended=suspended, to_suspend=to_suspend, to_terminate=to_terminate, on_v1=on_v1,
    )


def make_app(engine: Engine, instance: Path) -> Flask:
    """The application on ``engine``, as tests run it."""
    settings = Settings(database_url=engine.db.url, instance_path=instance)
    return create_app(settings, engine=engine, testing=True)


def csrf_token(page: TestResponse | str) -> str:
    """The CSRF token in a page (a form's hidden field or the page's meta tag)."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    found = _TOKEN.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1) or found.group(2)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    """Log in through the form, with the token the form carries."""
    token = csrf_token(client.get("/login"))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def post_form(client: FlaskClient, url: str, data: dict[str, object] | None = None,
              *, page: str = "/") -> TestResponse:
    """POST a form with the CSRF token of ``page`` (any page of the session carries it)."""
    token = csrf_token(client.get(page))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def post_json(client: FlaskClient, url: str, body: dict[str, object], *,
              page: str = "/") -> TestResponse:
    """POST JSON as the modeler does, with the token in the X-CSRFToken header."""
    token = csrf_token(client.get(page))
    return client.post(url, json=body, headers={"X-CSRFToken": token,
                                                "Accept": "application/json"})
