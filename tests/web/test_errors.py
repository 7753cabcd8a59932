"""One transaction per request, and engine and domain errors turned into responses in one place.

Test-only routes raise each error (after writing a row, to prove the rollback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from engine.errors import (
    DefinitionError,
    ExpressionError,
    FormValidationError,
    MigrationRefused,
    NotFound,
    Problem,
    StateConflict,
    TaskOwnershipError,
)
from engine.runtime import Engine
from tests.web.world import csrf_token, login
from web.transaction import db_session
from workflows.deadlines import CalendarImportError
from workflows.models import OrgUnit
from workflows.people import PersonError

ERRORS: dict[str, Callable[[], Exception]] = {
    "not_found": lambda: NotFound("no process instance 99"),
    "conflict": lambda: StateConflict("instance 3 is completed, not suspended"),
    "ownership": lambda: TaskOwnershipError("task 'Assess' is claimed by mediator"),
    "refused": lambda: MigrationRefused("instance 3 cannot move to version 4",
                                        ["element 'assess' is active but no longer exists"]),
    "form": lambda: FormValidationError({"amount": ["must be a number"]}),
    "definition": lambda: DefinitionError([Problem("triage.bpmn", 34, "to_district",
                                                   "condition is not valid Python")]),
    "expression": lambda: ExpressionError("name 'x' is not defined"),
    "calendar": lambda: CalendarImportError(["line 2: '2031-13-01' is not a valid date"]),
    "person": lambda: PersonError("the username 'admin' is taken"),
}


@pytest.fixture
def probe(app: Flask) -> Flask:
    """The app with a route that writes a unit, then answers or raises as asked."""

    def write_then() -> Any:
        db_session().add(OrgUnit(code="PROBE", name="probe", kind="grid", active=True))
        db_session().flush()
        outcome = request.args.get("then", "ok")
        if outcome == "crash":
            raise RuntimeError("a bug")
        if outcome in ERRORS:
            raise ERRORS[outcome]()
        return "written"

    app.add_url_rule("/test/write", view_func=write_then, methods=["GET", "POST"])
    return app


def probes(engine: Engine) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).where(OrgUnit.code == "PROBE")) or 0


def post(client: FlaskClient, path: str, *, json: bool = False) -> Any:
    token = csrf_token(client.get("/"))
    headers = {"X-CSRFToken": token}
    if json:
        headers["Accept"] = "application/json"
    return client.post(path, headers=headers)


def test_a_successful_post_commits(probe: Flask, engine: Engine) -> None:
    client = probe.test_client()
    assert post(client, "/test/write").status_code == 200
    assert probes(engine) == 1


def test_an_error_response_rolls_everything_back(probe: Flask, engine: Engine) -> None:
    client = probe.test_client()
    assert post(client, "/test/write?then=conflict").status_code == 409
    assert probes(engine) == 0


def test_an_unhandled_exception_rolls_back_too(probe: Flask, engine: Engine) -> None:
    client = probe.test_client()
    with pytest.raises(RuntimeError):
        post(client, "/test/write?then=crash")
    assert probes(engine) == 0


def test_a_get_never_writes(probe: Flask, engine: Engine) -> None:
    assert probe.test_client().get("/test/write").status_code == 200
    assert probes(engine) == 0


@pytest.mark.parametrize(("error", "status"), [
    ("not_found", 404), ("conflict", 409), ("ownership", 409), ("refused", 409),
    ("form", 422), ("definition", 400), ("expression", 400), ("calendar", 400), ("person", 400),
])
def test_each_error_has_its_status_and_its_words(probe: Flask, error: str, status: int) -> None:
    client = probe.test_client()
    response = post(client, f"/test/write?then={error}")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert f'<p class="status-code">{status}</p>' in page
    for words in _words(ERRORS[error]()):
        assert str(escape(words)) in page


@pytest.mark.parametrize("error", sorted(ERRORS))
def test_scripts_get_the_same_errors_as_json(probe: Flask, error: str) -> None:
    response = post(probe.test_client(), f"/test/write?then={error}", json=True)
    body = response.get_json()
    assert body["error"]
    exc = ERRORS[error]()
    if isinstance(exc, DefinitionError):
        assert body["problems"] == [{"file": "triage.bpmn", "line": 34, "element": "to_district",
                                     "reason": "condition is not valid Python"}]
    if isinstance(exc, FormValidationError):
        assert body["field_errors"] == {"amount": ["must be a number"]}
    if isinstance(exc, MigrationRefused):
        assert body["details"] == exc.reasons


def test_unknown_pages_get_a_translated_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面或记录不存在" in response.get_data(as_text=True)


def test_a_404_for_a_logged_in_person_keeps_their_menu(admin: FlaskClient) -> None:
    page = admin.get("/admin/instances/999999").get_data(as_text=True)
    assert "no process instance 999999" in page and "流程定义" in page


def test_methods_not_allowed_are_refused_in_words(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "此处不允许该操作" in response.get_data(as_text=True)


def _words(error: Exception) -> list[str]:
    """What the page must show of ``error``."""
    if isinstance(error, DefinitionError):
        return ["triage.bpmn:34", "to_district", "condition is not valid Python"]
    if isinstance(error, FormValidationError):
        return ["amount", "must be a number"]
    if isinstance(error, MigrationRefused):
        return [str(error), *error.reasons]
    if isinstance(error, CalendarImportError):
        return ["节假日安排未导入", *error.problems]
    return [str(error)]
