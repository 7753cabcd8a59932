"""Who may open what: every route × every role (and nobody logged in), with the expected status.

One database serves the whole module (creating a person costs an Argon2 hash), each role logs in
once.  Administrators' POSTs are chosen so that each succeeds the one time it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.database import Database
from tests.web.casework import MATERIALS, matrix_case
from tests.web.world import (
    HOLIDAYS_2031,
    World,
    csrf_token,
    login,
    make_app,
    populate,
)
from web.composition import build_engine
from workflows.holidays import import_schedule
from workflows.organisation import COURT_ROLES, ROLES

ANONYMOUS = "anonymous"
EVERYONE = (ANONYMOUS, *ROLES)
ADMIN_ONLY = frozenset({"admin"})
GRID_WORKER = frozenset({"grid_worker"})
MEDIATOR = frozenset({"mediator"})
CHAIR = frozenset({"committee_chair"})
MEDIATION_UNIT = MEDIATOR | CHAIR  # the chair may look at the unit's tasks (to reassign them)
TASK_ROLES = frozenset(ROLES) - ADMIN_ONLY
# The office and the case's unit invite other units to mediate jointly.
JOINT_INVITERS = frozenset({"intake_clerk", "dispatcher", "mediator", "committee_chair"})
# The office, the case's unit and the grid worker who reported it; not the parties or the court.
CASE_VIEWERS = frozenset({"admin", "intake_clerk", "dispatcher", "mediator", "committee_chair",
                          "grid_worker"})
# The people who work the case: the office and the case's unit (not the grid worker).
CASE_STAFF = CASE_VIEWERS - GRID_WORKER


@dataclass(frozen=True)
class Route:
    """A request and who may make it: ``allowed`` get ``ok``, other people 403, nobody 302."""

    endpoint: str
    method: str
    path: str
    allowed: frozenset[str] | None  # None: public
    ok: int = 200
    form: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    logged_in_ok: int | None = None  # a different status for people who are logged in


ROUTES = [
    Route("home.index", "GET", "/", None),
    Route("home.health", "GET", "/health", None),
    Route("static", "GET", "/static/css/app.css", None),
    Route("assets.vendor", "GET", "/vendor/htmx/htmx.js", None),
    Route("auth.login", "GET", "/login", None, logged_in_ok=302),
    # Wrong credentials: the form again, for everyone.
    Route("auth.login", "POST", "/login", None, form={"username": "nobody",
                                                      "password": "not-the-password"}),
    Route("auth.logout", "POST", "/logout", None, ok=302),
    Route("i18n.switch_language", "POST", "/language", None, ok=302,
          form={"lang": "zh_Hans_CN", "next": "/"}),
    Route("definitions.index", "GET", "/admin/definitions", ADMIN_ONLY),
    Route("definitions.process", "GET", "/admin/definitions/triage", ADMIN_ONLY),
    Route("definitions.download", "GET", "/admin/deployments/{deployment_id}/files/triage.bpmn",
          ADMIN_ONLY),
    Route("modeler.edit", "GET", "/admin/modeler/{deployment_id}/triage.bpmn", ADMIN_ONLY),
    Route("modeler.validate", "POST", "/admin/modeler/{deployment_id}/validate", ADMIN_ONLY,
          json={"key": "tier.dmn", "xml": "{tier_dmn}"}),
    # The same content again: answered, nothing new stored.
    Route("modeler.deploy", "POST", "/admin/modeler/{deployment_id}/deploy", ADMIN_ONLY,
          json={"key": "tier.dmn", "xml": "{tier_dmn}"}),
    Route("instances.index", "GET", "/admin/instances?q=RC-2026", ADMIN_ONLY),
    Route("instances.show", "GET", "/admin/instances/{running}", ADMIN_ONLY),
    Route("instances.retry", "POST", "/admin/instances/{errored}/retry", ADMIN_ONLY, ok=302),
    Route("instances.suspend", "POST", "/admin/instances/{to_suspend}/suspend", ADMIN_ONLY,
          ok=302),
    Route("instances.resume", "POST", "/admin/instances/{suspended}/resume", ADMIN_ONLY, ok=302),
    Route("instances.terminate", "POST", "/admin/instances/{to_terminate}/terminate", ADMIN_ONLY,
          ok=302, form={"reason": "duplicate"}),
    Route("instances.migrate", "POST", "/admin/instances/{on_v1}/migrate", ADMIN_ONLY, ok=302,
          form={"definition_id": "{v2_definition_id}"}),
    Route("organisation.index", "GET", "/admin/organisation", ADMIN_ONLY),
    Route("users.index", "GET", "/admin/users", ADMIN_ONLY),
    Route("users.create", "GET", "/admin/users/new", ADMIN_ONLY),
    Route("users.create", "POST", "/admin/users/new", ADMIN_ONLY, ok=302, form={
        "username": "newcomer", "display_name": "新同事", "password": "long-enough-1",
        "roles-0-role": "mediator", "roles-0-unit": "T01-V1-G1",
    }),
    Route("holidays.index", "GET", "/admin/holidays", ADMIN_ONLY),
    Route("holidays.index", "POST", "/admin/holidays", ADMIN_ONLY, ok=302,
          form={"schedule": "HOLIDAYS_2031"}),
    Route("holidays.download", "GET", "/admin/holidays/2030.csv", ADMIN_ONLY),
    # Casework.  The case is in mediation in the grid where the matrix's people work; it was
    # reported by the grid worker.  The mediator claims its task, gives it back, the chair gives
    # it to the mediator, who then sends an empty form (refused: 422).
    Route("intake.report", "GET", "/report", None),
    Route("intake.report", "POST", "/report", None, ok=422, form={"applicant_name": "王五"}),
    Route("intake.places", "GET", "/report/places?town=T01", None),
    Route("intake.receipt", "GET", "/report/receipt", None, ok=302),
    Route("intake.quick_report", "GET", "/grid/report", GRID_WORKER),
    Route("intake.quick_report", "POST", "/grid/report", GRID_WORKER, ok=422,
          form={"description": "漏水"}),
    Route("inbox.index", "GET", "/tasks?view=queue", TASK_ROLES),
    Route("inbox.show", "GET", "/tasks/{mediate_task}", MEDIATION_UNIT),
    Route("inbox.claim", "POST", "/tasks/{mediate_task}/claim", MEDIATOR, ok=302),
    Route("inbox.unclaim", "POST", "/tasks/{mediate_task}/unclaim", MEDIATOR, ok=302),
    Route("inbox.reassign", "POST", "/tasks/{mediate_task}/reassign", CHAIR, ok=302,
          form={"assignee": "mediator"}),
    Route("inbox.complete", "POST", "/tasks/{mediate_task}", MEDIATOR, ok=422),
    Route("cases.index", "GET", "/cases", frozenset(ROLES)),
    Route("cases.show", "GET", "/cases/{case_id}", CASE_VIEWERS),
    Route("cases.diagram", "GET", "/cases/{case_id}/diagram/dispute_intake.bpmn", CASE_VIEWERS),
    # Inviting a unit to mediate jointly: the office and the case's unit may (a unit that does
    # not exist is refused: 400); everyone else is refused first (403).
    Route("cases.invite", "POST", "/cases/{case_id}/joint-units", JOINT_INVITERS, ok=400,
          form={"unit": "NO-SUCH-UNIT"}),
    Route("court.index", "GET", "/court", frozenset(COURT_ROLES)),
    # Materials and documents of the case: whoever sees the case; its file and its corrections
    # only to the people who work it.  Withdrawing without a reason is refused (422) to those
    # who may withdraw (the people who work the case, and the grid worker who added the photo);
    # the agreement cannot be corrected before it is signed (409).
    Route("materials.add", "POST", "/cases/{case_id}/materials", CASE_VIEWERS, ok=302,
          form={"files": "PHOTO_PNG"}),
    Route("materials.download", "GET", "/cases/{case_id}/materials/{material_id}",
          CASE_VIEWERS),
    Route("materials.thumbnail", "GET", "/cases/{case_id}/materials/{material_id}/thumbnail",
          CASE_VIEWERS),
    Route("materials.withdraw", "POST", "/cases/{case_id}/materials/{material_id}/withdraw",
          CASE_VIEWERS, ok=422, form={"reason": ""}),
    Route("documents.document", "GET", "/cases/{case_id}/documents/registration.pdf",
          CASE_VIEWERS),
    Route("documents.archive", "GET", "/cases/{case_id}/archive.zip", CASE_STAFF),
    Route("documents.sign_again", "GET", "/cases/{case_id}/agreement/sign", CASE_VIEWERS,
          ok=302),
    Route("documents.sign_again", "POST", "/cases/{case_id}/agreement/sign", CASE_VIEWERS,
          ok=302),
    Route("documents.amend", "GET", "/cases/{case_id}/agreement/amend", CASE_STAFF, ok=409),
    Route("documents.amend", "POST", "/cases/{case_id}/agreement/amend", CASE_STAFF, ok=409),
    Route("notices.index", "GET", "/notices", CASE_STAFF),
    Route("notices.handed", "POST", "/notices/{notice_id}/handed", CASE_STAFF, ok=302),
    Route("status.lookup", "GET", "/report/status", None),
    Route("status.lookup", "POST", "/report/status", None, ok=422,
          form={"case_no": "(2026)渝荣调字第00001号", "phone_tail": "12"}),
    Route("templates.index", "GET", "/admin/templates", ADMIN_ONLY),
    Route("templates.download", "GET", "/admin/templates/agreement.html", ADMIN_ONLY),
    Route("templates.upload", "POST", "/admin/templates/messages/return_visit.txt", ADMIN_ONLY,
          ok=302, form={"template": "TEMPLATE_TXT"}),
    Route("templates.reset", "POST", "/admin/templates/messages/return_visit.txt/reset",
          ADMIN_ONLY, ok=302),
    # The court sends a case to mediation (filing division, judge); an empty form is refused.
    Route("court.intake", "GET", "/court/intake", frozenset({"filing_clerk", "judge"})),
    Route("court.intake", "POST", "/court/intake", frozenset({"filing_clerk", "judge"}), ok=422),
    # A withdrawal is recorded by the intake clerk (the parties do not see this case); an empty
    # form is refused.
    Route("cases.withdraw", "POST", "/cases/{case_id}/withdraw", frozenset({"intake_clerk"}),
          ok=422),
]


def expected_status(route: Route, role: str) -> int:
    """The status ``role`` must get for ``route``."""
    if route.allowed is None:
        return route.logged_in_ok if route.logged_in_ok and role != ANONYMOUS else route.ok
    if role == ANONYMOUS:
        return 302
    return route.ok if role in route.allowed else 403


@dataclass
class Matrix:
    """The module's app, its data and one logged-in browser per role."""

    app: Flask
    world: World
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # more ids for the paths

    def client(self, role: str) -> FlaskClient:
        """The browser of ``role``, logged in on first use."""
        if role not in self.clients:
            browser = self.app.test_client()
            if role != ANONYMOUS:
                assert login(browser, role).status_code == 302
            self.clients[role] = browser
        return self.clients[role]

    def fill(self, value: Any) -> Any:
        """``value`` with the world's ids (and test files) put in."""
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if value == "HOLIDAYS_2031":
            return (BytesIO(HOLIDAYS_2031.encode()), "2031.csv")
        if value == "PHOTO_PNG":
            return (BytesIO((MATERIALS / "sketch.png").read_bytes()), "sketch.png")
        if value == "TEMPLATE_TXT":
            return (BytesIO("{{ office }}：案号{{ case_no }}，回访。".encode()), "return_visit.txt")
        if value == "{tier_dmn}":
            return (Path(__file__).parent / "data" / "tier.dmn").read_text(encoding="utf-8")
        if isinstance(value, str):
            return value.format(**vars(self.world), **self.ids)
        return value


@pytest.fixture(scope="module")
def matrix(module_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """Every role's person, the triage process and instances, and a 2030 holiday import."""
    engine = build_engine(module_db)
    world = populate(engine)
    with engine.transaction() as session:
        import_schedule(session, "date,kind\n2030-01-01,holiday\n2030-02-03,holiday\n"
                        "2030-10-01,holiday\n", actor="test", now=engine.now())
    instance = tmp_path_factory.mktemp("instance")
    ids = matrix_case(module_db, reporter="grid_worker", files=instance / "files")
    yield Matrix(make_app(engine, instance), world, ids=ids)


def send(matrix: Matrix, route: Route, role: str) -> int:
    """Make the request as ``role`` would, with a real CSRF token; return the status."""
    browser = matrix.client(role)
    path = matrix.fill(route.path)
    if route.method == "GET":
        with browser.get(path) as response:  # closes served files
            return response.status_code
    token = csrf_token(browser.get("/"))
    if route.json is not None:
        response = browser.post(path, json=matrix.fill(route.json),
                                headers={"X-CSRFToken": token, "Accept": "application/json"})
    else:
        response = browser.post(path, data={**matrix.fill(route.form), "csrf_token": token},
                                content_type="multipart/form-data")
    if route.endpoint == "auth.logout":
        matrix.clients.pop(role, None)  # logged out: the next request logs in again
    return response.status_code


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint}")
def test_role_gets_the_expected_status(matrix: Matrix, route: Route, role: str) -> None:
    assert send(matrix, route, role) == expected_status(route, role)


def test_every_route_is_in_the_matrix(matrix: Matrix) -> None:
    covered = {(r.endpoint, r.method) for r in ROUTES}
    served = {
        (rule.endpoint, method)
        for rule in matrix.app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert served - covered == set()


def test_anonymous_people_are_sent_to_the_login_page(matrix: Matrix) -> None:
    response = matrix.client(ANONYMOUS).get("/admin/definitions")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
