"""Logging in and out, the person behind a request, and role checks on views."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from web.navigation import same_site_path
from web.transaction import db_session
from workflows.access import require_role
from workflows.organisation import Membership
from workflows.people import authenticate, get_person, memberships

login_manager = LoginManager()
bp = Blueprint("auth", __name__)

View = TypeVar("View", bound=Callable[..., Any])


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True, eq=False)
class User(UserMixin):
    """The logged-in person and the roles they hold."""

    id: int
    username: str
    display_name: str
    memberships: tuple[Membership, ...]

    @property
    def roles(self) -> frozenset[str]:
        """The role codes this person holds in any unit."""
        return frozenset(m.role for m in self.memberships)

    def has_role(self, *roles: str) -> bool:
        """Whether this person holds any of ``roles``."""
        return bool(self.roles & set(roles))


def init_app(app: Flask) -> None:
    """Load the person of each request from the session and register the login pages."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = _
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.register_blueprint(bp)


def load_user(user_id: str) -> User | None:
    """The active person with this id, with their roles; None ends the login."""
    if not user_id.isdigit():
        return None
    session_ = db_session()
    person = get_person(session_, int(user_id))
    if person is None or not person.active:
        return None
    return User(person.id, person.username, person.display_name,
                tuple(memberships(session_, person.id)))


def require_roles(*roles: str) -> Callable[[], Response | None]:
    """A before-request check: log in first (redirect), then hold one of ``roles`` (else 403)."""
    wanted = frozenset(roles)

    def check() -> Response | None:
        if not current_user.is_authenticated:
            return cast(Response, login_manager.unauthorized())
        require_role(actor=current_user, roles=wanted)
        return None

    return check


def roles_required(*roles: str) -> Callable[[View], View]:
    """Decorate a view so that only people holding one of ``roles`` reach it."""
    check = require_roles(*roles)

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refused = check()
            return refused if refused is not None else view(*args, **kwargs)

        return cast(View, guarded)

    return decorate


def has_any_role(roles: Iterable[str]) -> bool:
    """Whether the current person holds any of ``roles``."""
    return current_user.is_authenticated and bool(current_user.roles & set(roles))


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=80)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)]
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the login form; on valid credentials start a fresh session."""
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("home.index"))
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("auth/login.html", form=form), status
    person = authenticate(db_session(), form.username.data or "", form.password.data or "")
    if person is None:
        return render_template("auth/login.html", form=form,
                               failed=_("Wrong username or password.")), 200
    # A new session on login, so a session id planted before it is worth nothing (fixation).
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(User(person.id, person.username, person.display_name, ()))
    flash(_("Welcome, %(name)s.", name=person.display_name), "success")
    return redirect(same_site_path(request.args.get("next")) or url_for("home.index"))


@bp.post("/logout")
def logout() -> Response:
    """End the session and go to the home page."""
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("home.index"))
