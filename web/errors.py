"""The one place where errors become responses: an HTML page, or JSON for scripts.

Engine and domain errors carry no HTTP status; this module gives them one.  Every handler rolls
the request's transaction back first, so an error never commits part of a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    DefinitionError,
    EngineError,
    FormValidationError,
    MigrationRefused,
    NotFound,
    StateConflict,
)
from web import transaction
from web.labels import ROLE_NAMES, name_of
from web.navigation import same_site_path
from web.people_labels import choice_messages, display_names
from workflows.access import AccessDenied
from workflows.deadlines import CalendarImportError
from workflows.joint_mediation import JointMediationRefused
from workflows.people import PersonError
from workflows.tasks import ChoiceRefused, TaskRefused

TITLES: Mapping[int, Any] = {
    400: _l("The request cannot be carried out"),
    403: _l("You may not open this page"),
    404: _l("Not found"),
    405: _l("This action is not allowed here"),
    409: _l("This does not fit the current state"),
    413: _l("The upload is too large"),
    422: _l("Some entries need correcting"),
    500: _l("Something went wrong on our side"),
}
EXPLANATIONS: Mapping[int, Any] = {
    403: _l("Your roles do not include this page. Log in as a person who holds the role, "
            "or ask an administrator to give you the role."),
    404: _l("The page or record does not exist. Check the address or go back."),
    500: _l("The error was recorded. Please try again in a moment."),
}


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(MigrationRefused, _migration_refused)
    app.register_error_handler(StateConflict, _conflict)
    app.register_error_handler(FormValidationError, _form_invalid)
    app.register_error_handler(DefinitionError, _definition)
    app.register_error_handler(EngineError, _engine)
    app.register_error_handler(CalendarImportError, _calendar_import)
    app.register_error_handler(PersonError, _person)
    app.register_error_handler(AccessDenied, _access_denied)
    app.register_error_handler(TaskRefused, _task_refused)
    app.register_error_handler(ChoiceRefused, _choice_refused)
    app.register_error_handler(JointMediationRefused, _joint_refused)


def wants_json() -> bool:
    """Whether the client asked for JSON (the modeler's requests) rather than a page."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def problem_response(
    status: int,
    message: str,
    *,
    details: Sequence[str] = (),
    problems: Sequence[Any] = (),
    field_errors: Mapping[str, list[str]] | None = None,
    explanation: str | None = None,
    reason: str | None = None,
) -> tuple[Response | str, int]:
    """An error as JSON or as a page, with the request's writes rolled back."""
    transaction.rollback()
    title = TITLES.get(status, TITLES[400])
    if wants_json():
        body: dict[str, Any] = {"error": message or str(title)}
        if reason:
            body["reason"] = reason
        if details:
            body["details"] = list(details)
        if problems:
            body["problems"] = [asdict(p) for p in problems]
        if field_errors:
            body["field_errors"] = dict(field_errors)
        return jsonify(body), status
    page = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        explanation=explanation or EXPLANATIONS.get(status),
        reason=reason,
        details=details,
        problems=problems,
        field_errors=field_errors or {},
        back=same_site_path(_referrer_path()),
    )
    return page, status


def _referrer_path() -> str | None:
    referrer = request.referrer or ""
    root = request.host_url
    return "/" + referrer[len(root):] if referrer.startswith(root) else None


def _csrf(error: CSRFError) -> tuple[Response | str, int]:
    return problem_response(400, _("The form expired or was sent from another page. Reload the "
                                   "page and send it again."))


def _http(error: HTTPException) -> tuple[Response | str, int] | HTTPException:
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions pass through untouched
    # werkzeug's descriptions are English; the page's title and explanation say it translated.
    return problem_response(error.code, "")


def _not_found(error: NotFound) -> tuple[Response | str, int]:
    return problem_response(404, str(error))


def _migration_refused(error: MigrationRefused) -> tuple[Response | str, int]:
    return problem_response(409, str(error), details=error.reasons)


def _conflict(error: StateConflict) -> tuple[Response | str, int]:
    return problem_response(409, str(error))


def _form_invalid(error: FormValidationError) -> tuple[Response | str, int]:
    return problem_response(422, _("The submitted data is not valid."),
                            field_errors=error.field_errors)


def _definition(error: DefinitionError) -> tuple[Response | str, int]:
    return problem_response(400, _("The definition cannot be deployed."),
                            problems=error.problems)


def _engine(error: EngineError) -> tuple[Response | str, int]:
    return problem_response(400, str(error))


def _calendar_import(error: CalendarImportError) -> tuple[Response | str, int]:
    return problem_response(400, _("The holiday schedule was not imported."),
                            details=error.problems)


def _person(error: PersonError) -> tuple[Response | str, int]:
    return problem_response(400, str(error))


def _access_denied(error: AccessDenied) -> tuple[Response | str, int]:
    roles = "、".join(name_of(ROLE_NAMES, r) for r in error.roles)
    if error.reason == "unit":
        message = (_("This is handled by %(unit)s, not by your unit: you see the cases and tasks "
                     "of your own unit.", unit=error.unit) if error.unit else
                   _("This is handled by another unit, not by yours: you see the cases and tasks "
                     "of your own unit."))
        explanation = _("The reason is the unit: ask the case's unit, or a committee chair, to "
                        "give you the task if you are to work on it.")
    elif error.reason == "party":
        message = _("As a party you see only your own cases and tasks; this one is not yours.")
        explanation = _("The reason is whose case it is. If it is yours, ask the mediation office "
                        "to link it to your login.")
    elif error.reason == "reporter":
        message = _("As a grid worker you see the cases you reported; this one you did not.")
        explanation = _("The reason is who reported the case, not your unit.")
    else:
        message = (_("Your roles do not include this page; it is for: %(roles)s.", roles=roles)
                   if roles else _("Your roles do not include this page."))
        explanation = _("The reason is the role. Log in as a person who holds the role, or ask "
                        "an administrator to give you the role.")
    return problem_response(403, message, explanation=explanation, reason=error.reason)


def _task_refused(error: TaskRefused) -> tuple[Response | str, int]:
    holder = display_names(transaction.db_session(), [error.holder]).get(
        error.holder or "", error.holder or "")
    messages = {
        "closed": lambda: _("This task is already done (%(state)s).", state=error.state or ""),
        "held": lambda: _("%(name)s holds this task; only they can complete it.", name=holder),
        "not_held": lambda: _("You do not hold this task, so you cannot give it back."),
        "named": lambda: _("This task is yours by name; it cannot go back to a queue."),
    }
    return problem_response(409, messages[error.code]())


def _choice_refused(error: ChoiceRefused) -> tuple[Response | str, int]:
    return problem_response(400, _("The choice cannot be accepted."),
                            field_errors=choice_messages(error.problems))


def _joint_refused(error: JointMediationRefused) -> tuple[Response | str, int]:
    messages = {
        "unknown_unit": lambda: _("There is no unit %(unit)s.", unit=error.unit or ""),
        "not_a_mediation_unit": lambda: _("%(unit)s does not mediate, so it cannot be invited.",
                                          unit=error.unit or ""),
        "already_invited": lambda: _("%(unit)s already mediates this case jointly.",
                                     unit=error.unit or ""),
        "own_unit": lambda: _("%(unit)s has the case already.", unit=error.unit or ""),
        "case_closed": lambda: _("The case is closed; no unit can be invited now."),
    }
    return problem_response(400, messages[error.code]())
