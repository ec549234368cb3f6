"""Server-rendered pages: browse and post tasks, task page, bids, entries, milestones, my bids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.views import transition_options
from marketplace_kit.errors import MarketplaceError, NotFound
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money
from marketplace_kit.web.forms import AmountField, choice

from . import service
from .models import Bid, Entry, Task

bp = Blueprint("crowdsourcing", __name__, template_folder="templates")


def _user() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _apply_errors(form: FlaskForm, exc: MarketplaceError, rename: dict[str, str] | None = None):
    placed = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, (rename or {}).get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [str(m) for m in messages]
            placed = True
    if not placed:
        flash(exc.detail, "error")


class PostTaskForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[
            choice("tender", _l("Tender: providers bid")),
            choice("contest", _l("Contest: prize")),
        ],
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[InputRequired(), Length(3, 200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    skills = StringField(_l("Skills (comma separated)"), validators=[Optional()])
    deadline = DateTimeLocalField(_l("Bids or entries close (UTC)"), validators=[InputRequired()])
    budget_min = AmountField(_l("Budget from"), validators=[Optional()])
    budget_max = AmountField(_l("Budget up to"), validators=[Optional()])
    max_awards = IntegerField(
        _l("Bids you may award"), default=1, validators=[Optional(), NumberRange(1, 20)]
    )
    prize = AmountField(_l("Prize (escrowed now)"), validators=[Optional()])
    selection_deadline = DateTimeLocalField(_l("Winners chosen by (UTC)"), validators=[Optional()])
    sealed = BooleanField(_l("Sealed: only I see the bids or entries"))


class BidForm(FlaskForm):
    amount = AmountField(_l("Your price"), validators=[InputRequired()])
    days = IntegerField(_l("Days to deliver"), validators=[InputRequired(), NumberRange(1, 3650)])
    proposal = TextAreaField(_l("Proposal"), validators=[InputRequired(), Length(max=5000)])


class EntryForm(FlaskForm):
    note = TextAreaField(_l("About your entry"), validators=[InputRequired(), Length(max=5000)])
    files = MultipleFileField(_l("Files (the client sees them once you are paid)"))


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"), validators=[InputRequired(), Length(1, 200)])
    amount = AmountField(_l("Amount"), validators=[InputRequired()])
    due_date = DateField(_l("Due date"), validators=[Optional()])


class ActForm(FlaskForm):
    transition = HiddenField(validators=[InputRequired()])
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(_l("What went wrong?"), validators=[Optional(), Length(max=4000)])
    amount = AmountField(_l("Amount to release"), validators=[Optional()])
    remainder = SelectField(
        _l("The rest"),
        choices=[
            choice("refund", _l("Refund it to me")),
            choice("rollover", _l("Roll it to the next milestone")),
        ],
        validators=[Optional()],
    )
    files = MultipleFileField(_l("Deliverables"))


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _minor(raw: str | None, currency: str) -> int | None:
    try:
        return Money.from_decimal(Decimal(raw), currency).amount if raw else None
    except (InvalidOperation, ValueError):
        return None


# ---------------------------------------------------------------------------
# browse and post
# ---------------------------------------------------------------------------


@bp.get("/tasks")
def browse():
    from marketplace_kit.core.listings.service import site_currency

    args = request.args
    currency = site_currency()
    kind = args.get("kind") if args.get("kind") in ("tender", "contest") else None
    deadline = None
    if args.get("deadline_before"):
        try:
            deadline = datetime.fromisoformat(args["deadline_before"]).replace(tzinfo=UTC)
        except ValueError:
            deadline = None
    tasks = service.search_tasks(
        q=(args.get("q") or "")[:200] or None,
        kind=kind,
        skill=(args.get("skill") or "")[:40] or None,
        budget_min=_minor(args.get("budget_min"), currency),
        budget_max=_minor(args.get("budget_max"), currency),
        deadline_before=deadline,
    )
    return render_template(
        "crowdsourcing/browse.html", tasks=tasks, args=args, bid_count=service.bid_count
    )


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
def post_task():
    form = PostTaskForm()
    status = 200
    if form.is_submitted() and not form.validate():
        status = 422
    elif form.is_submitted():
        try:
            task = service.post_task(
                _user(),
                kind=form.kind.data,
                title=form.title.data,
                description=form.description.data or "",
                deadline=_utc(form.deadline.data),
                skills=form.skills.data or "",
                budget_min=form.budget_min.minor,
                budget_max=form.budget_max.minor,
                sealed=bool(form.sealed.data),
                max_awards=form.max_awards.data or 1,
                prize_amount=form.prize.minor,
                selection_deadline=_utc(form.selection_deadline.data),
            )
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc, {"prize_amount": "prize", "price_amount": "budget_max"})
            status = exc.status
        else:
            return redirect(url_for("crowdsourcing.task_page", task_id=task.id))
    return render_template("crowdsourcing/new.html", form=form), status


# ---------------------------------------------------------------------------
# the task page
# ---------------------------------------------------------------------------


def _task_context(task: Task, **forms: Any) -> dict[str, Any]:
    user = _user()
    mine_bid = None
    if user is not None:
        mine_bid = db.session.query(Bid).filter_by(task_id=task.id, provider_id=user.id).first()
    bid_form = forms.get("bid_form") or BidForm(
        obj=None,
        data=(
            {
                "amount": str(mine_bid.price.to_decimal()),
                "days": mine_bid.days,
                "proposal": mine_bid.proposal,
            }
            if mine_bid is not None
            else None
        ),
    )
    return {
        "task": task,
        "is_client": user is not None and user.id == task.client_id,
        "bids": service.visible_bids(task, user) if task.kind == "tender" else [],
        "entries": service.visible_entries(task, user) if task.kind == "contest" else [],
        "bid_total": service.bid_count(task),
        "entry_total": db.session.query(Entry).filter_by(task_id=task.id).count(),
        "mine_bid": mine_bid,
        "awards": service.awards_of(task),
        "bid_form": bid_form,
        "entry_form": forms.get("entry_form") or EntryForm(),
        "allowance_left": service.allowance_left(user) if user is not None else None,
        "now": datetime.now(UTC),
    }


@bp.get("/tasks/<int:task_id>")
def task_page(task_id: int):
    task = service.visible_task(task_id, _user())
    return render_template("crowdsourcing/task.html", **_task_context(task))


@bp.post("/tasks/<int:task_id>/bid")
@login_required
def bid(task_id: int):
    task = service.visible_task(task_id, _user())
    form = BidForm()
    form.amount.currency = task.currency
    if form.validate():
        try:
            service.place_bid(
                task,
                _user(),
                amount=form.amount.minor,
                days=form.days.data,
                proposal=form.proposal.data,
            )
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            flash(gettext("Your bid is saved."), "success")
            return redirect(url_for("crowdsourcing.task_page", task_id=task.id))
    else:
        status = 422
    task = service.get_task(task_id)
    return render_template("crowdsourcing/task.html", **_task_context(task, bid_form=form)), status


@bp.post("/tasks/<int:task_id>/entries")
@login_required
def enter(task_id: int):
    task = service.visible_task(task_id, _user())
    form = EntryForm()
    if form.validate():
        try:
            service.submit_entry(task, _user(), note=form.note.data, files=form.files.data)
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            flash(gettext("Your entry is in."), "success")
            return redirect(url_for("crowdsourcing.task_page", task_id=task.id))
    else:
        status = 422
    task = service.get_task(task_id)
    return render_template(
        "crowdsourcing/task.html", **_task_context(task, entry_form=form)
    ), status


def _act(task_id: int, work) -> Response:
    """Run a button's action; errors come back as a message on the task page."""
    task = service.visible_task(task_id, _user())
    if not FlaskForm().validate():
        flash(gettext("The form expired; try again."), "error")
        return redirect(url_for("crowdsourcing.task_page", task_id=task_id))
    try:
        work(task)
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        flash(exc.detail, "error")
        task = service.get_task(task_id)
        return render_template("crowdsourcing/task.html", **_task_context(task)), exc.status
    return redirect(url_for("crowdsourcing.task_page", task_id=task_id))


def _bid_of(task: Task) -> Bid:
    bid_id = request.form.get("bid_id", type=int)
    found = db.session.get(Bid, bid_id) if bid_id and 0 < bid_id < 2**31 else None
    if found is None or found.task_id != task.id:
        raise NotFound("No such bid on this task.")
    return found


def _entry_of(task: Task) -> Entry:
    entry_id = request.form.get("entry_id", type=int)
    found = db.session.get(Entry, entry_id) if entry_id and 0 < entry_id < 2**31 else None
    if found is None or found.task_id != task.id:
        raise NotFound("No such entry in this contest.")
    return found


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw(task_id: int):
    return _act(task_id, lambda t: service.withdraw_bid(_bid_of(t), _user()))


@bp.post("/tasks/<int:task_id>/shortlist")
@login_required
def shortlist(task_id: int):
    def work(task: Task) -> None:
        if task.kind == "tender":
            service.shortlist_bid(_bid_of(task), _user(), request.form.get("on", "1") == "1")
        else:
            service.shortlist_entry(_entry_of(task), _user())

    return _act(task_id, work)


@bp.post("/tasks/<int:task_id>/award")
@login_required
def award(task_id: int):
    return _act(task_id, lambda t: service.award_bid(t, _user(), _bid_of(t)))


@bp.post("/tasks/<int:task_id>/winners")
@login_required
def winners(task_id: int):
    ids = [int(v) for v in request.form.getlist("entry_id") if v.isdigit() and len(v) < 10]
    return _act(task_id, lambda t: service.award_contest(t, _user(), ids))


@bp.post("/tasks/<int:task_id>/cancel")
@login_required
def cancel(task_id: int):
    return _act(task_id, lambda t: service.cancel_task(t, _user()))


@bp.post("/tasks/<int:task_id>/close")
@login_required
def close(task_id: int):
    return _act(task_id, lambda t: service.close_bidding(t, _user()))


@bp.post("/tasks/<int:task_id>/guarantee")
@login_required
def guarantee(task_id: int):
    return _act(task_id, lambda t: service.guarantee(t, _user()))


# ---------------------------------------------------------------------------
# milestones
# ---------------------------------------------------------------------------


def _board(award_obj, milestone_form=None, act_forms=None) -> dict[str, Any]:
    user = _user()
    act_forms = act_forms or {}
    rows = []
    for m in award_obj.milestones:
        options = transition_options(m.order, user) if m.order is not None else []
        rows.append(
            {
                "milestone": m,
                "options": options,
                "form": act_forms.get(m.id) or ActForm(),
                "files": service.deliverables_of(milestone=m),
            }
        )
    return {
        "award": award_obj,
        "task": award_obj.task,
        "rows": rows,
        "is_client": user.id == award_obj.task.client_id,
        "milestone_form": milestone_form or MilestoneForm(),
        "can_download": lambda d: service.can_download(d, user),
    }


@bp.get("/awards/<int:award_id>")
@login_required
def award_page(award_id: int):
    return render_template(
        "crowdsourcing/award.html", **_board(service.get_award(award_id, _user()))
    )


@bp.post("/awards/<int:award_id>/milestones")
@login_required
def add_milestone(award_id: int):
    award_obj = service.get_award(award_id, _user())
    form = MilestoneForm()
    form.amount.currency = award_obj.task.currency
    status = 422
    if form.validate():
        try:
            service.add_milestone(
                award_obj,
                _user(),
                title=form.title.data,
                amount=form.amount.minor,
                due_date=form.due_date.data,
            )
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            return redirect(url_for("crowdsourcing.award_page", award_id=award_id))
    award_obj = service.get_award(award_id, _user())
    return render_template(
        "crowdsourcing/award.html", **_board(award_obj, milestone_form=form)
    ), status


@bp.post("/milestones/<int:milestone_id>/<any(fund, withdraw):what>")
@login_required
def fund_or_withdraw(milestone_id: int, what: str):
    milestone = service.get_milestone(milestone_id, _user())
    award_id = milestone.award_id
    if not FlaskForm().validate():
        flash(gettext("The form expired; try again."), "error")
        return redirect(url_for("crowdsourcing.award_page", award_id=award_id))
    try:
        if what == "fund":
            service.fund_milestone(milestone, _user())
        else:
            service.withdraw_milestone(milestone, _user())
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        flash(exc.detail, "error")
        award_obj = service.get_award(award_id, _user())
        return render_template("crowdsourcing/award.html", **_board(award_obj)), exc.status
    return redirect(url_for("crowdsourcing.award_page", award_id=award_id))


@bp.post("/milestones/<int:milestone_id>/act")
@login_required
def act(milestone_id: int):
    milestone = service.get_milestone(milestone_id, _user())
    award_id = milestone.award_id
    form = ActForm()
    form.amount.currency = milestone.award.task.currency
    status = 422
    if form.validate():
        params: dict[str, Any] = {}
        name = form.transition.data
        if form.message.data:
            params["message"] = form.message.data
        if name in ("open_dispute", "provider_dispute"):
            params["reason"] = form.reason.data
        if name == "release_part":
            params["amount"] = form.amount.minor
            params["remainder"] = form.remainder.data or "refund"
        try:
            service.milestone_transition(milestone, _user(), name, params, form.files.data)
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            return redirect(url_for("crowdsourcing.award_page", award_id=award_id))
    milestone = service.get_milestone(milestone_id, _user())
    award_obj = milestone.award
    return render_template(
        "crowdsourcing/award.html", **_board(award_obj, act_forms={milestone.id: form})
    ), status


@bp.get("/deliverables/<int:deliverable_id>")
@login_required
def download(deliverable_id: int):
    deliverable, data = service.read_deliverable(deliverable_id, _user())
    return Response(
        data,
        mimetype="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{deliverable.storage_key.split("-", 1)[1]}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.get("/tasks/mine")
@login_required
def mine():
    from sqlalchemy import select

    user = _user()
    posted = list(
        db.session.scalars(select(Task).where(Task.client_id == user.id).order_by(Task.id.desc()))
    )
    awards = {}
    for b in service.bids_of(user):
        if b.status == "awarded":
            from .models import Award

            awards[b.id] = db.session.query(Award).filter_by(bid_id=b.id).first()
    return render_template(
        "crowdsourcing/mine.html",
        bids=service.bids_of(user),
        entries=service.entries_of(user),
        posted=posted,
        awards=awards,
        allowance_left=service.allowance_left(user),
        task_awards=service.awards_of,
    )


def state_label(order: Any) -> str:
    return gettext(engine.process_of(order).state_label(order.state))


@bp.app_template_global("crowdsourcing_state_label")
def _state_label(milestone: Any) -> str:
    if milestone.order is not None:
        return state_label(milestone.order)
    return gettext("Not funded yet") if milestone.status == "planned" else gettext("Withdrawn")
