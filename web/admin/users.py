"""People who log in: the list with their roles, and creating a person with roles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import FieldList, Form, FormField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from web.admin import listings
from web.auth import require_roles
from web.labels import ROLE_NAMES
from web.transaction import db_session, get_engine
from workflows.organisation import ROLES
from workflows.people import MIN_PASSWORD_LENGTH, PHONE_PATTERN, create_person

bp = Blueprint("users", __name__, url_prefix="/admin/users")
bp.before_request(require_roles("admin"))

ROLE_ROWS = 3


class RoleForm(Form):
    """A role in a unit; both empty means no role on this row."""

    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    unit = StringField(_l("Unit code"), validators=[Length(max=60)])

    def validate_unit(self, field: StringField) -> None:
        """A role needs the unit it is held in, and a unit needs a role."""
        if self.role.data and not field.data:
            raise ValidationError(_l("Enter the unit the role is held in."))
        if field.data and not self.role.data:
            raise ValidationError(_l("Choose a role for this unit."))

    def validate_role(self, field: SelectField) -> None:
        """Only the organisation's roles."""
        if field.data and field.data not in ROLES:
            raise ValidationError(_l("Choose a role from the list."))


class PersonForm(FlaskForm):
    """A new person with up to three roles."""

    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter a username.")), Length(max=80),
        Regexp(r"^[A-Za-z0-9_.\-]+$",
               message=_l("Use letters, digits, dots, dashes and underscores only.")),
    ])
    display_name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter the person's name.")), Length(max=100)])
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(_l("Enter an initial password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=_l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)),
    ])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Length(max=30),
        Regexp(PHONE_PATTERN,
               message=_l("Enter an 11-digit mobile number or a landline such as 023-46789012.")),
    ])
    roles = FieldList(FormField(RoleForm), min_entries=ROLE_ROWS, max_entries=ROLE_ROWS)


@bp.get("")
def index() -> str:
    """Everyone who can log in, with their roles."""
    return render_template("admin/users.html", people=listings.people(db_session()))


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response | str | tuple[str, int]:
    """The form for a new person; on success back to the list."""
    form = PersonForm()
    choices = [("", "—")] + [(role, str(ROLE_NAMES.get(role, role))) for role in ROLES]
    for row in form.roles:
        row.form.role.choices = choices
    session = db_session()
    if not form.validate_on_submit():
        units = listings.org_units(session)
        return render_template("admin/user_new.html", form=form, units=units), \
            (422 if form.errors else 200)
    person = create_person(
        session,
        username=form.username.data or "",
        display_name=form.display_name.data or "",
        password=form.password.data or "",
        phone=form.phone.data or None,
        roles=[(row.form.role.data, row.form.unit.data.strip())
               for row in form.roles if row.form.role.data],
        now=get_engine().now(),
    )
    flash(_("%(name)s can now log in as %(username)s.", name=person.display_name,
            username=person.username), "success")
    return redirect(url_for("users.index"))
