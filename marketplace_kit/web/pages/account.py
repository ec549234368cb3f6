"""Account pages: registration, confirmation, login/logout, password reset, settings."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from marshmallow import fields as mm_fields
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ...app import is_relaxed, state
from ...core import mail
from ...core.storage import storage
from ...core.users import accounts, profiles
from ...core.users.models import User
from ...core.users.service import get_row
from ...core.users.verification import level_label
from ...errors import Conflict, ValidationError
from ...events import commit
from ...extensions import db
from ..forms import apply_errors, choice
from ..ratelimit import limit
from .main import _safe_next

bp = Blueprint("account", __name__)


def client_ip() -> str | None:
    return request.remote_addr


def users_settings() -> dict[str, Any]:
    return state(current_app).settings.users


def _locale() -> str:
    return str(get_locale() or state(current_app).settings.site["default_locale"])


def send_mail(user_or_email: User | str, template: str, **context: Any) -> None:
    if isinstance(user_or_email, User):
        to, locale = user_or_email.email, user_or_email.locale or _locale()
        context.setdefault("user", user_or_email)
    else:
        to, locale = user_or_email, _locale()
    mail.send(to, template, locale=locale, site=state(current_app).settings.site, **context)


# ---------------------------------------------------------------------------
# forms
# ---------------------------------------------------------------------------


class RegisterForm(FlaskForm):
    account_type = RadioField(
        _l("Account type"),
        choices=[choice("individual", _l("Individual")), choice("business", _l("Business"))],
        default="individual",
    )
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    company_name = StringField(_l("Company name"), validators=[Optional(), Length(max=200)])
    registration_number = StringField(
        _l("Registration number"), validators=[Optional(), Length(max=64)]
    )
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=120)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=2000)])
    service_area = StringField(_l("Service area"), validators=[Optional(), Length(max=200)])
    invitation = HiddenField()


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class ResetRequestForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=320)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """An empty form: the button that performs a change a link asked for."""


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired()])


class ChangeEmailForm(FlaskForm):
    email = StringField(_l("New email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    bio = TextAreaField(_l("About you"), validators=[Optional(), Length(max=5000)])
    locale = RadioField(_l("Language"), validators=[Optional()])
    company_name = StringField(_l("Company name"), validators=[Optional(), Length(max=200)])
    registration_number = StringField(
        _l("Registration number"), validators=[Optional(), Length(max=64)]
    )
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=120)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=2000)])
    service_area = StringField(_l("Service area"), validators=[Optional(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    read = BooleanField(_l("Read"), default=True)
    write = BooleanField(_l("Write"))
    expires_in_days = RadioField(
        _l("Expires after"),
        choices=[
            choice("7", _l("7 days")),
            choice("30", _l("30 days")),
            choice("90", _l("90 days")),
            choice("365", _l("1 year")),
        ],
        default="90",
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(
        _l("I understand that my account and personal data will be erased."),
        validators=[DataRequired()],
    )


class AvatarForm(FlaskForm):
    avatar = FileField(_l("Avatar image"))


# ---------------------------------------------------------------------------
# registration and confirmation
# ---------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limit("20 per hour", methods=["POST"])
def register():
    if not users_settings()["allow_registration"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    form = RegisterForm()
    if request.method == "GET":
        form.invitation.data = request.args.get("invite", "")
        from ...core.users import invitations

        invite = invitations.find(form.invitation.data)
        if invite is not None:
            form.email.data = invite.email
    if users_settings()["invite_only"] and not form.invitation.data:
        return render_template(
            "account/message.html",
            title=_("Registration is by invitation only"),
            message=_(
                "Ask an operator of %(site)s for an invitation.",
                site=state(current_app).settings.site["name"],
            ),
        )
    if form.validate_on_submit():
        business = {k: getattr(form, k).data for k in accounts.BUSINESS_FIELDS}
        try:
            result = accounts.register(
                form.email.data,
                form.password.data,
                form.display_name.data,
                account_type=form.account_type.data,
                locale=_locale(),
                ip=client_ip(),
                invitation=form.invitation.data or None,
                **business,
            )
            commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            if result.user is not None and result.user.email_confirmed_at is not None:
                commit()
                session.clear()
                login_user(result.user)
                flash(
                    _("Welcome to %(site)s!", site=state(current_app).settings.site["name"]),
                    "success",
                )
                return redirect(url_for("account.overview"))
            if result.user is not None:
                send_mail(
                    result.user,
                    "confirm_email",
                    link=url_for(
                        "account.confirm",
                        token=accounts.confirmation_token(result.user),
                        _external=True,
                    ),
                )
            else:
                send_mail(
                    result.existing,
                    "already_registered",
                    login_link=url_for("account.login", _external=True),
                    reset_link=url_for("account.reset_request", _external=True),
                )
            return render_template(
                "account/message.html",
                title=_("Check your inbox"),
                message=_(
                    "We sent a message to %(email)s. Follow the link in it to confirm "
                    "your address, then sign in.",
                    email=form.email.data.strip(),
                ),
            )
    return render_template("account/register.html", form=form)


def _confirm_link(apply, done_message, title, button):
    """A page that confirms an emailed link with a POST (a GET must not change state).

    ``apply()`` runs the service and returns the user; ``done_message(user)``
    is flashed afterwards. An expired or used link is a 400 page.
    """
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = apply()
            commit()
        except ValidationError as exc:
            db.session.rollback()
            return render_template(
                "account/message.html", title=_("Link not valid"), message=exc.detail
            ), 400
        flash(done_message(user), "success")
        return redirect(
            url_for("account.overview" if current_user.is_authenticated else "account.login")
        )
    return render_template("account/confirm.html", form=form, title=title, button=button)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    return _confirm_link(
        lambda: accounts.confirm_email(token),
        lambda user: _("Your email address %(email)s is confirmed.", email=user.email),
        _("Confirm your email address"),
        _("Confirm my email address"),
    )


@bp.post("/account/confirm/resend")
@login_required
@limit("5 per hour")
def resend_confirmation():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.email_confirmed_at is None:
        send_mail(
            current_user,
            "confirm_email",
            link=url_for(
                "account.confirm", token=accounts.confirmation_token(current_user), _external=True
            ),
        )
    flash(_("We sent a new confirmation link."), "success")
    return redirect(url_for("account.overview"))


# ---------------------------------------------------------------------------
# login and logout
# ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limit("10 per minute", methods=["POST"])
def login():
    form = LoginForm()
    nxt = _safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(nxt)
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, ip=client_ip())
        commit()
        if result.locked is not None:
            send_mail(
                result.locked,
                "account_locked",
                minutes=users_settings()["lockout_minutes"],
                reset_link=url_for("account.reset_request", _external=True),
            )
        if result.user is not None:
            session.clear()  # no session fixation: a fresh session for the signed-in user
            login_user(result.user, remember=form.remember.data)
            return redirect(nxt)
        if result.reason == "unconfirmed":
            form.form_errors.append(
                _("Confirm your email address first: follow the link we sent you.")
            )
        else:
            form.form_errors.append(
                _(
                    "Email or password is not correct, or the account is temporarily locked "
                    "after too many attempts."
                )
            )
    return render_template("account/login.html", form=form, next=nxt)


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    return redirect(url_for("main.index"))


# ---------------------------------------------------------------------------
# password reset
# ---------------------------------------------------------------------------


@bp.route("/reset", methods=["GET", "POST"])
@limit("5 per minute", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        from ...core.users.service import get_by_email

        email = form.email.data.strip()
        user = get_by_email(email) if accounts.valid_email(email) else None
        if user is not None and user.deleted_at is None and user.is_active:
            accounts.audit("password_reset_requested", user=user, ip=client_ip())
            commit()
            send_mail(
                user,
                "reset_password",
                link=url_for("account.reset", token=accounts.reset_token(user), _external=True),
                hours=users_settings()["reset_token_hours"],
            )
        return render_template(
            "account/message.html",
            title=_("Check your inbox"),
            message=_(
                "If an account uses %(email)s, we sent it a link to choose a new password.",
                email=email,
            ),
        )
    return render_template("account/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limit("10 per minute", methods=["POST"])
def reset(token: str):
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data, ip=client_ip())
            commit()
        except ValidationError as exc:
            db.session.rollback()
            if "token" in exc.errors:
                return render_template(
                    "account/message.html", title=_("Link not valid"), message=exc.detail
                ), 400
            apply_errors(form, exc)
        else:
            send_mail(user, "password_changed")
            flash(_("Your password was changed. Sign in with the new one."), "success")
            return redirect(url_for("account.login"))
    return render_template("account/reset.html", form=form)


# ---------------------------------------------------------------------------
# account settings
# ---------------------------------------------------------------------------


@bp.get("/account")
@login_required
def overview():
    from ...core.dashboard import dashboard_for

    return render_template(
        "account/overview.html",
        user=current_user,
        verification_label=level_label,
        dash=dashboard_for(current_user),
    )


def _section_form_values(section: profiles.ProfileSection) -> dict[str, Any]:
    """This section's submitted fields; empty optional fields are left out."""
    values: dict[str, Any] = {}
    for name, fld in section.schema().load_fields.items():
        input_name = f"section__{section.key}__{name}"
        if isinstance(fld, mm_fields.Boolean):
            values[name] = input_name in request.form
            continue
        raw = request.form.get(input_name, "").strip()
        if raw or fld.required:
            values[name] = raw
    return values


def _section_fields(section: profiles.ProfileSection) -> list[dict[str, Any]]:
    out = []
    for name, fld in section.schema().load_fields.items():
        kind = "text"
        if isinstance(fld, mm_fields.Boolean):
            kind = "checkbox"
        elif isinstance(fld, mm_fields.Integer | mm_fields.Float | mm_fields.Decimal):
            kind = "number"
        elif isinstance(fld, mm_fields.Date):
            kind = "date"
        elif isinstance(fld, mm_fields.Email):
            kind = "email"
        elif isinstance(fld, mm_fields.Url):
            kind = "url"
        out.append(
            {
                "name": name,
                "input": f"section__{section.key}__{name}",
                "label": fld.metadata.get("label", name.replace("_", " ").capitalize()),
                "description": fld.metadata.get("description"),
                "kind": kind,
                "required": fld.required,
            }
        )
    return out


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    user: User = current_user._get_current_object()
    form = ProfileForm(obj=user)
    locales = state(current_app).settings.site["locales"]
    from ..i18n import locale_label

    form.locale.choices = [choice("", _("Automatic"))] + [
        choice(c, locale_label(c)) for c in locales
    ]
    if request.method == "GET":
        form.locale.data = user.locale or ""
    sections = profiles.profile_sections()
    section_errors: dict[str, list[str]] = {}
    submitted: dict[str, dict[str, Any]] = {}
    if form.validate_on_submit():
        changes = {k: getattr(form, k).data for k in ("display_name", "bio", "locale")}
        if user.is_business:
            changes.update({k: getattr(form, k).data for k in accounts.BUSINESS_FIELDS})
        submitted = {s.key: _section_form_values(s) for s in sections}
        try:
            accounts.update_profile(user, **changes)
            if submitted:
                profiles.update_sections(user, submitted)
            commit()
        except ValidationError as exc:
            db.session.rollback()
            section_errors = {k: v for k, v in exc.errors.items() if "." in k}
            core_errors = {k: v for k, v in exc.errors.items() if "." not in k}
            if core_errors or not section_errors:
                apply_errors(form, ValidationError(exc.detail, errors=core_errors))
        else:
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("account.profile"))
    section_view = [
        {
            "section": s,
            "fields": _section_fields(s),
            "values": submitted.get(s.key, profiles.section_values(user, s)),
        }
        for s in sections
    ]
    return render_template(
        "account/profile.html",
        form=form,
        user=user,
        avatar_form=AvatarForm(),
        sections=section_view,
        section_errors=section_errors,
    )


@bp.post("/account/avatar")
@login_required
@limit("30 per hour")
def upload_avatar():
    form = AvatarForm()
    user: User = current_user._get_current_object()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("avatar")
    data = upload.read() if upload else b""
    try:
        profiles.set_avatar(user, data)
        commit()
    except ValidationError as exc:
        db.session.rollback()
        for msg in exc.errors.get("avatar", [exc.detail]):
            flash(msg, "error")
        return redirect(url_for("account.profile")), 303
    flash(_("Your avatar was saved."), "success")
    return redirect(url_for("account.profile")), 303


@bp.post("/account/avatar/remove")
@login_required
def remove_avatar():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    profiles.remove_avatar(current_user._get_current_object())
    commit()
    flash(_("Your avatar was removed."), "success")
    return redirect(url_for("account.profile")), 303


@bp.get("/media/avatars/<name>")
def avatar(name: str):
    from flask import Response

    data = storage().read(f"avatars/{name}")
    kind = profiles.image_type(data or b"")
    if data is None or kind is None:
        abort(404)
    resp = Response(data, mimetype=profiles.IMAGE_TYPES[kind])
    resp.headers["Cache-Control"] = "public, max-age=86400"
    resp.headers["Content-Security-Policy"] = "default-src 'none'"
    return resp


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limit("10 per hour", methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    user: User = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user, form.current_password.data, form.password.data, ip=client_ip()
            )
            commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            login_user(user)  # this session goes on; every other one ends
            send_mail(user, "password_changed")
            flash(_("Your password was changed."), "success")
            return redirect(url_for("account.overview"))
    return render_template("account/password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limit("10 per hour", methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    user: User = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            change = accounts.request_email_change(
                user, form.email.data, form.password.data, ip=client_ip()
            )
            commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            if change.token:
                send_mail(
                    change.new_email,
                    "change_email",
                    user=user,
                    link=url_for(
                        "account.confirm_email_change", token=change.token, _external=True
                    ),
                )
            else:
                send_mail(change.new_email, "email_in_use", user=user)
            flash(_("We sent a confirmation link to %(email)s.", email=change.new_email), "success")
            return redirect(url_for("account.overview"))
    return render_template("account/email.html", form=form, user=user)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    return _confirm_link(
        lambda: accounts.confirm_email_change(token, ip=client_ip()),
        lambda user: _("Your email address is now %(email)s.", email=user.email),
        _("Confirm your new email address"),
        _("Use this email address"),
    )


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    from ...core.users import tokens as token_service
    from ..api.users import _create

    user: User = current_user._get_current_object()
    form = TokenForm()
    if form.validate_on_submit():
        scopes = [s for s in ("read", "write") if getattr(form, s).data]
        try:
            token, secret = _create(
                user,
                {
                    "name": form.name.data,
                    "scopes": scopes,
                    "expires_in_days": int(form.expires_in_days.data),
                },
                client_ip(),
            )
        except ValidationError as exc:
            errors = dict(exc.errors)
            if "scopes" in errors:
                errors["read"] = [_("Choose at least one scope.")]
                errors.pop("scopes")
            apply_errors(form, ValidationError(exc.detail, errors=errors))
        else:
            return render_template("account/token_created.html", token=token, secret=secret)
    return render_template("account/tokens.html", form=form, tokens=token_service.tokens_of(user))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    from ...core.users import tokens as token_service

    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = token_service.revoke(current_user._get_current_object(), token_id, ip=client_ip())
    commit()
    flash(_("The token %(name)s was revoked.", name=token.name), "success")
    return redirect(url_for("account.tokens")), 303


@bp.route("/account/verification", methods=["GET", "POST"])
@login_required
@limit("20 per hour", methods=["POST"])
def verification():
    from ...core.users import verification as vsvc

    user: User = current_user._get_current_object()
    errors: dict[str, list[str]] = {}
    submitted_kind = None
    if request.method == "POST":
        form = ConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        submitted_kind = request.form.get("kind", "")
        files = {name: f.read() for name, f in request.files.items()}
        try:
            vsvc.submit(user, submitted_kind, request.form.to_dict(), files, ip=client_ip())
            commit()
        except ValidationError as exc:
            db.session.rollback()
            errors = {k: [str(m) for m in v] for k, v in exc.errors.items()} or {"_": [exc.detail]}
        except Conflict as exc:
            db.session.rollback()
            errors = {"_": [exc.detail]}
        else:
            flash(_("Your request was sent. An operator will review it."), "success")
            return redirect(url_for("account.verification")), 303
    kinds = [
        {
            "kind": k,
            "fields": vsvc.fields_for(k),
            "level": vsvc.level_of(k),
            "pending": any(r.kind == k and r.status == "pending" for r in vsvc.requests_of(user)),
        }
        for k in vsvc.kinds_for(user)
    ]
    return render_template(
        "account/verification.html",
        user=user,
        kinds=kinds,
        requests=vsvc.requests_of(user),
        errors=errors,
        submitted_kind=submitted_kind,
        values=request.form if request.method == "POST" else {},
        level_label=vsvc.level_label,
    ), (200 if not errors else 422)


@bp.get("/account/export")
@login_required
def export():
    import json

    from flask import Response

    from ...core.users.privacy import export_data

    user: User = current_user._get_current_object()
    body = json.dumps(export_data(user), ensure_ascii=False, indent=2, default=str)
    resp = Response(body, mimetype="application/json")
    resp.headers["Content-Disposition"] = f'attachment; filename="account-{user.id}.json"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limit("10 per hour", methods=["POST"])
def delete_account():
    from ...core.users.privacy import delete_account as delete

    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            delete(current_user._get_current_object(), form.password.data, ip=client_ip())
            commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            logout_user()
            session.clear()
            return render_template(
                "account/message.html",
                title=_("Your account was deleted"),
                message=_("Your personal data was erased. Thank you for having been with us."),
            )
    return render_template("account/delete.html", form=form)


@bp.get("/account/security")
@login_required
def security_log():
    events = accounts.security_events(current_user._get_current_object(), limit=100)
    return render_template("account/security.html", events=events)


# ---------------------------------------------------------------------------
# public profile and the dev mail outbox
# ---------------------------------------------------------------------------


@bp.get("/users/<int:user_id>")
def public_profile(user_id: int):
    user = get_row(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        abort(404)
    return render_template(
        "account/public_profile.html",
        profile=user,
        sections=profiles.public_sections(user),
        verification_label=level_label,
    )


@bp.get("/-/mail")
def dev_outbox():
    mk = state(current_app)
    if not is_relaxed(mk.settings) or mk.settings.mail["backend"] != "file":
        abort(404)
    return render_template("account/outbox.html", messages=list(reversed(mail.outbox())))


#: endpoints anonymous visitors may reach on a private marketplace
PRIVATE_OPEN_ENDPOINTS = {
    "account.login",
    "account.register",
    "account.confirm",
    "account.reset_request",
    "account.reset",
    "account.confirm_email_change",
    "main.healthz",
    "main.theme_css",
    "main.set_locale",
    "static",
    "plugin_static",
}


def install_private_mode(app: Any) -> None:
    """On a private marketplace (``[users] private``) only signed-in users see pages and API."""
    if not state(app).settings.users["private"]:
        return

    @app.before_request
    def private_marketplace():
        endpoint = request.endpoint or ""
        if endpoint in PRIVATE_OPEN_ENDPOINTS:
            return None
        if request.path.startswith("/api/"):
            if request.path.endswith("/openapi.json") or endpoint.startswith("api_accounts."):
                return None
            from ..api.auth import api_user

            api_user("read")  # 401 without a usable token
            return None
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def install_nul_guard(app: Any) -> None:
    """Refuse text with NUL characters (PostgreSQL cannot store them) with a 422, not a 500."""

    @app.before_request
    def refuse_nul_characters():
        values = list(request.args.items(multi=True))
        if request.method not in ("GET", "HEAD"):  # the pages read no body on these
            values += request.form.items(multi=True)
            if request.is_json:
                values.append(("json", request.get_json(silent=True)))
        if any(_has_nul(k) or _has_nul(v) for k, v in values):
            raise ValidationError("Text must not contain NUL characters.")
