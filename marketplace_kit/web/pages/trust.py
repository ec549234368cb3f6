"""Review pages: the review form on the order page, replies, reviews on profiles, score explanation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...core.orders.views import visible_order
from ...core.trust import reputation as rep_service
from ...core.trust import service
from ...core.trust.models import ROLES, Review
from ...core.users.models import User
from ...core.users.service import get_row
from ...errors import MarketplaceError, ValidationError
from ...events import commit
from ...extensions import db
from ..forms import choice
from ..menus import PageSection

bp = Blueprint("trust", __name__)

STARS = [(str(n), "★" * n + f" {n}") for n in range(5, 0, -1)]


class ReplyForm(FlaskForm):
    text = TextAreaField(
        _l("Your reply"), validators=[InputRequired(), Length(max=service.MAX_REPLY)]
    )


def review_form_class(criteria: tuple[Any, ...]) -> type[FlaskForm]:
    """A review form with one optional 1-5 field per criterion of the listing type."""

    class ReviewForm(FlaskForm):
        rating = SelectField(
            _l("Overall rating"),
            choices=[choice("", _l("Choose 1 to 5 stars")), *(choice(v, t) for v, t in STARS)],
            validators=[InputRequired()],
        )
        text = TextAreaField(_l("Your review"), validators=[Optional()])

    for criterion in criteria:
        setattr(
            ReviewForm,
            f"criterion_{criterion.name}",
            SelectField(
                criterion.label,
                choices=[choice("", _l("No rating")), *(choice(v, t) for v, t in STARS)],
                validators=[Optional()],
            ),
        )
    return ReviewForm


def _criteria_fields(form: FlaskForm, criteria: tuple[Any, ...]) -> list[Any]:
    return [getattr(form, f"criterion_{c.name}") for c in criteria]


def _user() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


# -- sections on core pages ------------------------------------------------------


def order_section(order: Any, user: Any) -> list[PageSection]:
    """The review form (or the reviews) on the order page, for the order's parties."""
    if user is None or service.side_of(order, user) is None:
        return []
    state = service.review_state(order, user)
    if not state.completed:
        return []
    form = getattr(g, "mk_review_form", None)
    if form is None:
        form = review_form_class(state.criteria)(formdata=None)
        if state.mine is not None:
            form.rating.data = str(state.mine.rating)
            form.text.data = state.mine.text
            for c in state.criteria:
                getattr(form, f"criterion_{c.name}").data = str(
                    (state.mine.criteria or {}).get(c.name, "")
                )
    return [
        PageSection(
            key="reviews",
            title=_l("Reviews"),
            template="trust/_order_section.html",
            context={
                "order": order,
                "state": state,
                "form": form,
                "criteria_fields": _criteria_fields(form, state.criteria),
                "reply_form": ReplyForm(formdata=None),
                "criterion_labels": {c.name: c.label for c in state.criteria},
            },
            order=20,
        )
    ]


def profile_section(profile: Any, viewer: Any) -> list[PageSection]:
    """Reputation per role with badges, and the published reviews with their replies."""
    reps = rep_service.reputations_of(profile)
    reviews = {role: service.reviews_about(profile, role) for role in ROLES}
    return [
        PageSection(
            key="reputation",
            title=_l("Reputation and reviews"),
            template="trust/_profile_section.html",
            context={
                "profile": profile,
                "reps": reps,
                "reviews": reviews,
                "role_labels": rep_service.ROLE_LABELS,
                "badge_label": rep_service.badge_label,
                "can_reply": viewer is not None and viewer.id == profile.id,
                "reply_form": ReplyForm(formdata=None),
            },
            order=10,
        )
    ]


# -- forms ----------------------------------------------------------------------------


def _order_page(order: Any, status: int):
    from .orders import _order_context

    return render_template("orders/order.html", **_order_context(order)), status


@bp.post("/orders/<int:order_id>/review")
@login_required
def submit(order_id: int):
    """Write (or, before publication, change) my review of the other party."""
    user = _user()
    order = visible_order(order_id, user)
    state = service.review_state(order, user)
    form = review_form_class(state.criteria)()
    if not form.validate_on_submit():
        g.mk_review_form = form
        return _order_page(order, 422)
    criteria = {c.name: getattr(form, f"criterion_{c.name}").data for c in state.criteria}
    try:
        if state.mine is not None:
            service.update_review(state.mine, user, form.rating.data, form.text.data, criteria)
            message = _l("Your review was changed.")
        else:
            service.submit_review(order, user, form.rating.data, form.text.data, criteria)
            message = _l(
                "Thank you. Your review is shown once both of you reviewed, or when the review period ends."
            )
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        order = visible_order(order_id, user)
        placed = False
        for name, messages in (exc.errors or {}).items():
            targets = (
                _criteria_fields(form, state.criteria)
                if name == "criteria"
                else [getattr(form, name, None)]
            )
            target = targets[0] if targets else None
            if target is not None:
                target.errors = list(target.errors or []) + [str(m) for m in messages]
                placed = True
        if not placed:
            form.rating.errors = [*list(form.rating.errors or []), exc.detail]
        g.mk_review_form = form
        return _order_page(order, exc.status)
    flash(message, "success")
    return redirect(url_for("orders.order_page", order_id=order.id) + "#section-reviews-h")


@bp.post("/reviews/<int:review_id>/reply")
@login_required
def reply(review_id: int):
    """The reviewed person answers a published review once."""
    user = _user()
    review = get_row(Review, review_id)
    if review is None:
        abort(404)
    form = ReplyForm()
    back = request.form.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("account.public_profile", user_id=review.subject_id)
    try:
        if not form.validate_on_submit():
            raise ValidationError(
                gettext("Write a reply of at most %(n)s characters.", n=service.MAX_REPLY),
                errors={"text": [str(e) for e in form.text.errors] or ["Invalid form."]},
            )
        service.reply_to(review, user, form.text.data)
        commit()
    except MarketplaceError:
        db.session.rollback()
        raise  # the error page shows why (403 wrong person, 409 twice, 422 empty)
    flash(_l("Your reply was published."), "success")
    return redirect(back + f"#review-{review.id}")


@bp.get("/users/<int:user_id>/reputation")
def explanation(user_id: int):
    """What makes up a user's reputation: each factor, its weight and points, and the badges."""
    from flask import current_app

    from ...app import state

    user = get_row(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        abort(404)
    return render_template(
        "trust/explanation.html",
        profile=user,
        reps=rep_service.reputations_of(user),
        roles=ROLES,
        role_labels=rep_service.ROLE_LABELS,
        factor_label=rep_service.factor_label,
        factor_help=rep_service.FACTOR_HELP,
        badge_label=rep_service.badge_label,
        cfg=state(current_app).settings.trust,
    )
