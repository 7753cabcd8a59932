"""``/report/status``: a resident looks up their case with its number and the last four digits
of the phone number they gave, and reads where it stands, the next step and its deadline — and
nothing else (no names, amounts or texts).

Lookups are limited per client and per case number (workflows/lookup.py, counted in the
database).  When the application gains a general rate limiter, the per-client limit can move
onto it; the per-case limit guards the four digits whoever asks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.timing import days_left, last_day
from web.transaction import db_session, get_engine
from workflows.lookup import check_limits, find_case, next_deadline, record_lookup

bp = Blueprint("status", __name__)

# State -> (where it stands, the next step), in plain words.
WORDS: dict[str, tuple[Any, Any]] = {
    "reported": (_l("Received; not registered yet"),
                 _l("An intake clerk registers the dispute and contacts you.")),
    "consent_pending": (_l("Registered"),
                        _l("The office asks the other party whether they agree to mediation.")),
    "dispatched": (_l("Registered and sent to a mediator"),
                   _l("A mediator is chosen and takes the case.")),
    "in_mediation": (_l("In mediation"),
                     _l("The mediator works with both sides towards an agreement.")),
    "suspended": (_l("Mediation paused for an appraisal"),
                  _l("Mediation resumes when the appraisal is done.")),
    "agreement_reached": (_l("Agreement reached"),
                          _l("The parties and the mediator sign the agreement.")),
    "judicial_confirmation": (_l("At the court for judicial confirmation"),
                              _l("The court reviews the agreement and rules on it.")),
    "performing": (_l("Agreement in force"),
                   _l("The agreement is carried out; the office then visits you.")),
    "failed": (_l("Mediation did not succeed"),
               _l("The mediator explains the other ways to settle the dispute.")),
    "guided_to_litigation": (_l("Referred to the court"),
                             _l("The court's case-filing division registers the suit.")),
    "closing": (_l("Being closed"), _l("The mediator closes and files the case.")),
    "closed": (_l("Closed"), _l("Nothing: the case is closed.")),
    "not_accepted": (_l("Not accepted"),
                     _l("Nothing: the office told you which other route to take.")),
    "terminated": (_l("Ended"), _l("Nothing: the mediation has ended.")),
    "error": (_l("Being handled"), _l("The office is handling the case.")),
}
FIELD_LIMITS = {"case_no": 60, "phone_tail": 4}


@bp.route("/report/status", methods=["GET", "POST"])
def lookup() -> Any:
    """The form, and (on POST) the case's state if the number and the digits match."""
    values = {k: (request.form.get(k) or request.args.get(k) or "").strip()[:limit]
              for k, limit in FIELD_LIMITS.items()}
    if request.method == "GET":
        return render_template("intake/status.html", values=values, result=None, errors={})
    errors: dict[str, str] = {}
    if not values["case_no"]:
        errors["case_no"] = _("Enter the case number from your receipt.")
    if len(values["phone_tail"]) != 4 or not values["phone_tail"].isdigit():
        errors["phone_tail"] = _("Enter the last four digits of the phone number you gave.")
    if errors:
        return render_template("intake/status.html", values=values, result=None,
                               errors=errors), 422
    session = db_session()
    engine = get_engine()
    now = engine.now()
    client = request.remote_addr or "unknown"
    limited = check_limits(session, client=client, case_no=values["case_no"], now=now)
    if limited is not None:
        minutes = int(limited.retry_after.total_seconds() // 60)
        message = _("Too many lookups. Try again in %(minutes)s minutes, or call the office.",
                    minutes=minutes)
        response = render_template("intake/status.html", values=values, result=None,
                                   errors={"_form": message})
        return response, 429, {"Retry-After": str(int(limited.retry_after.total_seconds()))}
    case = find_case(session, case_no=values["case_no"], phone_tail=values["phone_tail"])
    record_lookup(session, client=client, case_no=values["case_no"], found=case is not None,
                  now=now)
    if case is None:
        # Answered 200 so that the attempt is counted (an error status rolls the request back).
        errors["_form"] = _("No case matches this number and these digits. Check both.")
        return render_template("intake/status.html", values=values, result=None,
                               errors=errors)
    view = engine.instance(session, case.instance_id) if case.instance_id else None
    due = next_deadline(view) if case.state not in ("closed", "not_accepted", "terminated") \
        else None
    state, step = WORDS.get(case.state, WORDS["error"])
    result = {
        "case_no": case.case_no,
        "state": str(state),
        "next_step": str(step),
        "last_day": last_day(due).isoformat() if due else None,
        "days_left": days_left(due, now) if due else None,
    }
    return render_template("intake/status.html", values={"case_no": values["case_no"],
                                                          "phone_tail": ""},
                           result=result, errors={})
