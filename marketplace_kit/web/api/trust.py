"""Reviews and reputation: write, edit, reply, list; a user's reputation per role."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...core.orders.models import Order
from ...core.trust import reputation as rep_service
from ...core.trust import service
from ...core.trust.models import ROLES
from ...core.users.models import User
from ...core.users.service import get_row
from ...errors import NotFound
from ...events import commit
from ..ratelimit import limit
from .auth import BEARER, api_user

bp = Blueprint("api_trust", __name__, url_prefix="", description="Reviews and reputation")


class ReviewAuthorSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()


class ReviewSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    author = fields.Nested(ReviewAuthorSchema)
    author_role = fields.String(metadata={"description": "customer or provider"})
    subject_id = fields.Integer()
    subject_role = fields.String(metadata={"description": "the role the subject is rated in"})
    rating = fields.Integer()
    text = fields.String()
    criteria = fields.Dict(keys=fields.String(), values=fields.Integer())
    published = fields.Function(lambda r: r.published_at is not None)
    published_at = fields.DateTime(allow_none=True)
    window_closes_at = fields.DateTime()
    reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ReviewWriteSchema(Schema):
    rating = fields.Raw(required=True, metadata={"description": "1 to 5 stars"})
    text = fields.Raw(load_default="", metadata={"description": "The review text"})
    criteria = fields.Raw(
        load_default=dict,
        metadata={"description": "{criterion: 1-5} for the listing type's review_criteria"},
    )


class ReplySchema(Schema):
    text = fields.String(required=True, validate=validate.Length(1, service.MAX_REPLY))


class OrderReviewsSchema(Schema):
    role = fields.String(allow_none=True, metadata={"description": "my role on the order"})
    completed = fields.Boolean()
    window_closes_at = fields.DateTime(allow_none=True)
    can_write = fields.Boolean()
    can_edit = fields.Boolean()
    criteria = fields.List(fields.String())
    mine = fields.Nested(ReviewSchema, allow_none=True)
    theirs = fields.Nested(
        ReviewSchema,
        allow_none=True,
        metadata={"description": "the other side's review, once published (blind until then)"},
    )
    theirs_submitted = fields.Boolean()


class ReviewListArgs(Schema):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES), allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema))


class FactorSchema(Schema):
    key = fields.String()
    label = fields.Function(lambda f: str(rep_service.factor_label(f)))
    value = fields.Float(allow_none=True, metadata={"description": "0-1; null: not counted yet"})
    weight = fields.Float()
    points = fields.Float(metadata={"description": "what the factor adds to the score"})
    detail = fields.String()


class BadgeSchema(Schema):
    key = fields.String()
    label = fields.Function(lambda b: str(rep_service.badge_label(b)))


class ReputationSchema(Schema):
    role = fields.String()
    score = fields.Float(metadata={"description": "0-100"})
    rating = fields.Float(allow_none=True, metadata={"description": "Bayesian average, 1-5"})
    review_count = fields.Integer()
    completed_orders = fields.Integer()
    factors = fields.List(fields.Nested(FactorSchema))
    badges = fields.List(fields.Nested(BadgeSchema))
    computed_at = fields.DateTime()


class UserReputationSchema(Schema):
    user_id = fields.Integer()
    provider = fields.Nested(ReputationSchema, allow_none=True)
    customer = fields.Nested(ReputationSchema, allow_none=True)


def _public_user(user_id: int) -> User:
    user = get_row(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise NotFound("No such user.")
    return user


def _party_order(order_id: int, user: Any) -> Order:
    order = get_row(Order, order_id)
    if order is None or service.side_of(order, user) is None:
        raise NotFound("No such order.")
    return order


@bp.route("/orders/<int:order_id>/reviews", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, OrderReviewsSchema)
def order_reviews(order_id: int):
    """The reviews of an order as one of its parties sees them (blind until published)."""
    user = api_user("read")
    state = service.review_state(_party_order(order_id, user), user)
    return {
        "role": state.role,
        "completed": state.completed,
        "window_closes_at": state.window_closes_at,
        "can_write": state.can_write,
        "can_edit": state.can_edit,
        "criteria": [c.name for c in state.criteria],
        "mine": state.mine,
        "theirs": state.theirs if state.theirs_visible else None,
        "theirs_submitted": state.theirs is not None,
    }


@bp.route("/orders/<int:order_id>/reviews", methods=["POST"])
@bp.doc(security=BEARER)
@limit("30 per hour")
@bp.arguments(ReviewWriteSchema)
@bp.response(201, ReviewSchema)
def create_review(data: dict[str, Any], order_id: int):
    """Review the other party of a completed order (once per side).

    404 when you were not part of the order, 409 before completion, after the
    review window, or for a second review; 422 for a rating outside 1-5,
    unknown criteria or too long text. Blind: the review is published when
    both sides reviewed or the window closes.
    """
    review = service.submit_review(
        order_id, api_user("write"), data["rating"], data["text"], data["criteria"]
    )
    commit()
    return review


@bp.route("/reviews/<int:review_id>", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, ReviewSchema)
def get_review(review_id: int):
    """A published review (or your own unpublished one)."""
    return service.get_review(review_id, api_user("read", required=False))


@bp.route("/reviews/<int:review_id>", methods=["PATCH"])
@bp.doc(security=BEARER)
@bp.arguments(ReviewWriteSchema)
@bp.response(200, ReviewSchema)
def update_review(data: dict[str, Any], review_id: int):
    """Change your review before it is published (409 afterwards)."""
    user = api_user("write")
    review = service.get_review(review_id, user)
    review = service.update_review(review, user, data["rating"], data["text"], data["criteria"])
    commit()
    return review


@bp.route("/reviews/<int:review_id>/reply", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(ReplySchema)
@bp.response(200, ReviewSchema)
def reply_review(data: dict[str, Any], review_id: int):
    """Reply once to a published review of you (403 for anyone else, 409 the second time)."""
    user = api_user("write")
    review = service.get_review(review_id, user)
    review = service.reply_to(review, user, data["text"])
    commit()
    return review


@bp.route("/users/<int:user_id>/reviews", methods=["GET"])
@bp.arguments(ReviewListArgs, location="query")
@bp.response(200, ReviewListSchema)
def user_reviews(args: dict[str, Any], user_id: int):
    """Published reviews of a user, newest first; ``role`` picks provider or customer."""
    user = _public_user(user_id)
    return {"items": service.reviews_about(user, args["role"], limit=args["limit"])}


@bp.route("/users/<int:user_id>/reputation", methods=["GET"])
@bp.response(200, UserReputationSchema)
def user_reputation(user_id: int):
    """A user's reputation per role: score, Bayesian rating, factors and badges."""
    user = _public_user(user_id)
    reps = rep_service.reputations_of(user)
    return {"user_id": user.id, "provider": reps.get("provider"), "customer": reps.get("customer")}
