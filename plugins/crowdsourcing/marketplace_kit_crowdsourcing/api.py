"""JSON API under /api/v1/crowdsourcing: tasks, bids, entries, awards, milestones."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace_kit.errors import NotFound
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.web.api.auth import BEARER, api_user

from . import service
from .models import Bid, Entry

api = Blueprint(
    "crowdsourcing_api",
    __name__,
    url_prefix="/crowdsourcing",
    description="Crowdsourcing: tasks, bids, contest entries, awards and milestones",
)


class CsBidSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    provider_id = fields.Integer()
    amount = fields.Integer()
    days = fields.Integer()
    proposal = fields.String()
    status = fields.String()
    shortlisted = fields.Boolean()


class CsEntrySchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    provider_id = fields.Integer()
    note = fields.String()
    status = fields.String()
    shortlisted = fields.Boolean()
    order_id = fields.Integer(allow_none=True)


class CsTaskSchema(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    client_id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    state = fields.String()
    currency = fields.String()
    budget_min = fields.Integer(allow_none=True)
    budget_max = fields.Integer(allow_none=True)
    prize_amount = fields.Integer(allow_none=True)
    posting_fee_amount = fields.Integer()
    skills = fields.Function(lambda t: t.skill_list)
    deadline = fields.DateTime()
    selection_deadline = fields.DateTime(allow_none=True)
    sealed = fields.Boolean()
    max_awards = fields.Integer()
    guaranteed_at = fields.DateTime(allow_none=True)
    bid_count = fields.Function(lambda t: service.bid_count(t))


class CsTaskDetailSchema(CsTaskSchema):
    description = fields.Function(lambda t: t.listing.description)
    bids = fields.List(fields.Nested(CsBidSchema))
    entries = fields.List(fields.Nested(CsEntrySchema))
    award_ids = fields.List(fields.Integer())


class CsTaskQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200))
    kind = fields.String(validate=validate.OneOf(["tender", "contest"]))
    skill = fields.String(validate=validate.Length(max=40))
    budget_min = fields.Integer(validate=validate.Range(0, 10**12))
    budget_max = fields.Integer(validate=validate.Range(0, 10**12))
    deadline_before = fields.AwareDateTime()


class CsTaskCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["tender", "contest"]))
    title = fields.String(required=True, validate=validate.Length(3, 200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    deadline = fields.AwareDateTime(required=True)
    skills = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=list)
    budget_min = fields.Integer(load_default=None, allow_none=True)
    budget_max = fields.Integer(load_default=None, allow_none=True)
    sealed = fields.Boolean(load_default=False)
    max_awards = fields.Integer(load_default=1)
    prize_amount = fields.Integer(load_default=None, allow_none=True)
    selection_deadline = fields.AwareDateTime(load_default=None, allow_none=True)


class CsBidInSchema(Schema):
    amount = fields.Integer(required=True)
    days = fields.Integer(required=True)
    proposal = fields.String(required=True, validate=validate.Length(1, 5000))


class CsEntryInSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(1, 5000))


class CsPickSchema(Schema):
    bid_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    entry_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    on = fields.Boolean(load_default=True)


class CsWinnersSchema(Schema):
    entry_ids = fields.List(fields.Integer(validate=validate.Range(1, 2**31 - 1)), required=True)


class CsMilestoneSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    title = fields.String()
    amount = fields.Integer()
    due_date = fields.Date(allow_none=True)
    state = fields.String()
    order_id = fields.Integer(allow_none=True)
    deliverables = fields.Function(
        lambda m: [
            {"id": d.id, "filename": d.filename, "size": d.size}
            for d in service.deliverables_of(milestone=m)
        ]
    )


class CsAwardSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    bid_id = fields.Integer()
    provider_id = fields.Integer()
    milestones = fields.List(fields.Nested(CsMilestoneSchema))


class CsMilestoneInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    amount = fields.Integer(required=True)
    due_date = fields.Date(load_default=None, allow_none=True)


class CsTransitionSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    params = fields.Dict(keys=fields.String(), load_default=dict)


class CsAllowanceSchema(Schema):
    left = fields.Integer()
    bids = fields.List(fields.Nested(CsBidSchema))
    entries = fields.List(fields.Nested(CsEntrySchema))


class _Detail:
    """A task plus what the caller may see of it, for ``CsTaskDetailSchema``."""

    def __init__(self, task: Any, user: Any) -> None:
        self._task = task
        self.bids = service.visible_bids(task, user) if task.kind == "tender" else []
        self.entries = service.visible_entries(task, user) if task.kind == "contest" else []
        self.award_ids = [
            a.id
            for a in service.awards_of(task)
            if user is not None and user.id in (task.client_id, a.provider_id)
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, name)


def _detail(task: Any, user: Any) -> _Detail:
    return _Detail(task, user)


@api.route("/tasks", methods=["GET"])
@api.arguments(CsTaskQuerySchema, location="query")
@api.response(200, CsTaskSchema(many=True))
def list_tasks(query: dict[str, Any]):
    """Open tasks, filtered by keywords, kind, skill, budget and deadline."""
    return service.search_tasks(**query)


@api.route("/tasks", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsTaskCreateSchema)
@api.response(201, CsTaskDetailSchema)
def create_task(data: dict[str, Any]):
    """Post a tender or a contest (a contest's prize is taken from the wallet now)."""
    user = api_user("write")
    task = service.post_task(user, **data)
    commit()
    return _detail(task, user), 201


@api.route("/tasks/<int:task_id>", methods=["GET"])
@api.response(200, CsTaskDetailSchema)
def read_task(task_id: int):
    """A task with the bids or entries the caller may see (sealed/blind respected)."""
    user = api_user("read", required=False)
    return _detail(service.visible_task(task_id, user), user)


@api.route("/tasks/<int:task_id>/bid", methods=["PUT"])
@api.doc(security=BEARER)
@api.arguments(CsBidInSchema)
@api.response(200, CsBidSchema)
def put_bid(data: dict[str, Any], task_id: int):
    """Create or edit my bid (the first bid on a task spends one of this month's bids)."""
    user = api_user("write")
    bid = service.place_bid(service.visible_task(task_id, user), user, **data)
    commit()
    return bid


@api.route("/tasks/<int:task_id>/bid", methods=["DELETE"])
@api.doc(security=BEARER)
@api.response(200, CsBidSchema)
def withdraw_bid(task_id: int):
    """Withdraw my bid (the bid spent on the task is not returned)."""
    user = api_user("write")
    task = service.visible_task(task_id, user)
    bid = db.session.query(Bid).filter_by(task_id=task.id, provider_id=user.id).first()
    if bid is None:
        raise NotFound("You have no bid on this task.")
    service.withdraw_bid(bid, user)
    commit()
    return bid


@api.route("/tasks/<int:task_id>/entries", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsEntryInSchema)
@api.response(201, CsEntrySchema)
def create_entry(data: dict[str, Any], task_id: int):
    """Enter a contest (files are attached on the entry page)."""
    user = api_user("write")
    entry = service.submit_entry(service.visible_task(task_id, user), user, note=data["note"])
    commit()
    return entry, 201


@api.route("/tasks/<int:task_id>/shortlist", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsPickSchema)
@api.response(200, CsTaskDetailSchema)
def shortlist(data: dict[str, Any], task_id: int):
    """Shortlist a bid (``bid_id``, ``on``) or make an entry a finalist (``entry_id``; guarantees)."""
    user = api_user("write")
    task = service.visible_task(task_id, user)
    if task.kind == "tender":
        bid = db.session.get(Bid, data.get("bid_id") or 0)
        if bid is None or bid.task_id != task.id:
            raise NotFound("No such bid on this task.")
        service.shortlist_bid(bid, user, data["on"])
    else:
        entry = db.session.get(Entry, data.get("entry_id") or 0)
        if entry is None or entry.task_id != task.id:
            raise NotFound("No such entry in this contest.")
        service.shortlist_entry(entry, user)
    commit()
    return _detail(service.get_task(task_id), user)


@api.route("/tasks/<int:task_id>/award", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsPickSchema)
@api.response(201, CsAwardSchema)
def award(data: dict[str, Any], task_id: int):
    """Award a bid (the client only); at the last award the other bids are closed and told."""
    user = api_user("write")
    task = service.visible_task(task_id, user)
    bid = db.session.get(Bid, data.get("bid_id") or 0)
    if bid is None or bid.task_id != task.id:
        raise NotFound("No such bid on this task.")
    result = service.award_bid(task, user, bid)
    commit()
    return result, 201


@api.route("/tasks/<int:task_id>/winners", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsWinnersSchema)
@api.response(200, CsTaskDetailSchema)
def winners(data: dict[str, Any], task_id: int):
    """Pay the prize to the chosen entries, split evenly."""
    user = api_user("write")
    service.award_contest(service.visible_task(task_id, user), user, data["entry_ids"])
    commit()
    return _detail(service.get_task(task_id), user)


def _task_action(task_id: int, func) -> dict[str, Any]:
    user = api_user("write")
    func(service.visible_task(task_id, user), user)
    commit()
    return _detail(service.get_task(task_id), user)


@api.route("/tasks/<int:task_id>/cancel", methods=["POST"])
@api.doc(security=BEARER)
@api.response(200, CsTaskDetailSchema)
def cancel(task_id: int):
    """Cancel a tender before any award, or a contest before it is guaranteed (minus a fee)."""
    return _task_action(task_id, service.cancel_task)


@api.route("/tasks/<int:task_id>/close", methods=["POST"])
@api.doc(security=BEARER)
@api.response(200, CsTaskDetailSchema)
def close(task_id: int):
    """Stop awarding a tender with several awards; the rest of the bids are closed."""
    return _task_action(task_id, service.close_bidding)


@api.route("/tasks/<int:task_id>/guarantee", methods=["POST"])
@api.doc(security=BEARER)
@api.response(200, CsTaskDetailSchema)
def guarantee(task_id: int):
    """Guarantee a contest: it can no longer be cancelled."""
    return _task_action(task_id, service.guarantee)


@api.route("/awards/<int:award_id>", methods=["GET"])
@api.doc(security=BEARER)
@api.response(200, CsAwardSchema)
def read_award(award_id: int):
    """An award and its milestones (client and provider only)."""
    return service.get_award(award_id, api_user("read"))


@api.route("/awards/<int:award_id>/milestones", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsMilestoneInSchema)
@api.response(201, CsMilestoneSchema)
def add_milestone(data: dict[str, Any], award_id: int):
    """Add a milestone (the client only); fund it before work starts."""
    user = api_user("write")
    milestone = service.add_milestone(service.get_award(award_id, user), user, **data)
    commit()
    return milestone, 201


@api.route("/milestones/<int:milestone_id>/fund", methods=["POST"])
@api.doc(security=BEARER)
@api.response(200, CsMilestoneSchema)
def fund(milestone_id: int):
    """Fund a milestone from the wallet (409 when the balance is short)."""
    user = api_user("write")
    milestone = service.fund_milestone(service.get_milestone(milestone_id, user), user)
    commit()
    return service.get_milestone(milestone.id, user)


@api.route("/milestones/<int:milestone_id>/transitions", methods=["POST"])
@api.doc(security=BEARER)
@api.arguments(CsTransitionSchema)
@api.response(200, CsMilestoneSchema)
def milestone_transition(data: dict[str, Any], milestone_id: int):
    """Take a transition: submit, request_changes, release, release_part (amount, remainder),
    provider_cancel, open_dispute / provider_dispute (reason), answer_dispute."""
    user = api_user("write")
    milestone = service.get_milestone(milestone_id, user)
    service.milestone_transition(milestone, user, data["name"], data["params"])
    commit()
    return service.get_milestone(milestone_id, user)


@api.route("/me", methods=["GET"])
@api.doc(security=BEARER)
@api.response(200, CsAllowanceSchema)
def my_bids():
    """My bids and entries, and how many bids I have left this month."""
    user = api_user("read")
    return {
        "left": service.allowance_left(user),
        "bids": service.bids_of(user),
        "entries": service.entries_of(user),
    }
