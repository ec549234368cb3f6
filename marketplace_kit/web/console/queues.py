"""Console queues: listings pending approval, open disputes, payout requests, assignment.

(The verification queue lives with the user pages in :mod:`.users`.) Each
queue filters by status, assignee and a search term; items are assigned to
an operator; listings and payouts take bulk decisions. Decisions go through
:mod:`marketplace_kit.core.console.service` (audited, reason sent to the user).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from sqlalchemy import func, or_, select

from ...core.access import require
from ...core.console import service as console
from ...core.disputes.models import Dispute, DisputeMessage
from ...core.listings import service as listings
from ...core.listings.models import Listing
from ...core.orders.models import Order
from ...core.payments.models import PayoutRequest
from ...core.users.models import User
from ...core.users.service import MAX_ID, get_row
from ...errors import MarketplaceError, NotFound
from ...events import commit
from ...extensions import db
from . import bp
from .common import assignee_email, check_csrf, csv_export, errors_of, form_id, ip, me, search_arg

QUEUE_ENDPOINTS = {
    "verification": "console.verification_queue",
    "listings": "console.listing_queue",
    "disputes": "console.dispute_queue",
    "payouts": "console.payout_queue",
}


def _back(queue: str):
    target = request.form.get("next") or ""
    if not target.startswith("/console/") or target.startswith("//"):
        target = url_for(QUEUE_ENDPOINTS[queue])
    return redirect(target, code=303)


@bp.post("/assign/<queue>/<int:item_id>")
@login_required
def assign(queue: str, item_id: int):
    """Assign an item: ``assignee`` = ``me``, an operator's id, or empty to release it."""
    if queue not in console.QUEUES:
        abort(404)
    operator = me()
    require(operator, console.QUEUES[queue])
    check_csrf()
    choice = (request.form.get("assignee") or "").strip()
    if choice == "me":
        assignee: Any = operator
    elif choice:
        assignee = get_row(User, form_id("assignee") or 0)
        if assignee is None:
            raise NotFound("No such operator.")
    else:
        assignee = None
    try:
        console.assign(operator, queue, item_id, assignee, ip=ip())
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        flash(" ".join(m for msgs in errors_of(exc).values() for m in msgs), "error")
        return _back(queue)
    flash(_("Assignment saved."), "success")
    return _back(queue)


# ---------------------------------------------------------------------------
# listings
# ---------------------------------------------------------------------------


LISTING_STATUSES = ("pending", "published", "draft", "all")


def _listing_rows(status: str, q: str, assignee: str) -> list[Listing]:
    stmt = select(Listing).order_by(Listing.id).limit(500)
    if status != "all":
        stmt = stmt.where(Listing.status == status)
    if q:
        stmt = stmt.where(func.lower(Listing.title).like(f"%{q.lower()}%"))
    stmt = console.filter_assigned(stmt, "listings", Listing.id, assignee, me())
    return list(db.session.scalars(stmt))


def _listing_context() -> dict[str, Any]:
    status = request.args.get("status", "pending")
    if status not in LISTING_STATUSES:
        abort(404)
    q = request.args.get("q", "").strip()[:200]
    assignee = request.args.get("assignee", "")
    rows = _listing_rows(status, q, assignee)
    return {
        "listings": rows,
        "status": status,
        "statuses": LISTING_STATUSES,
        "q": q,
        "assignee": assignee,
        "assigned": console.assignments("listings", [r.id for r in rows]),
        "operators": console.eligible_assignees("listings"),
        "queue": "listings",
    }


def _listing_queue(errors: dict[str, list[str]] | None = None, status_code: int = 200):
    return render_template(
        "console/listing_queue.html", **_listing_context(), errors=errors or {}
    ), status_code


@bp.get("/listings.csv")
@login_required
def listing_queue_csv():
    require(me(), "listing.moderate")
    ctx = _listing_context()
    authors = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({x.author_id for x in ctx["listings"]}))
        )
    }
    header = (
        "id,title,listing_type,author_email,price_amount,currency,status,created_at,assigned_to"
    )
    rows = [
        [
            x.id,
            x.title,
            x.listing_type,
            authors[x.author_id].email if x.author_id in authors else None,
            x.price_amount,
            x.currency,
            x.status,
            x.created_at,
            assignee_email(ctx["assigned"], x.id),
        ]
        for x in ctx["listings"]
    ]
    return csv_export("listings.csv", header, rows)


@bp.get("/listings")
@login_required
def listing_queue():
    require(me(), "listing.moderate")
    return _listing_queue()


@bp.post("/listings/<int:listing_id>/<decision>")
@login_required
def listing_decision(listing_id: int, decision: str):
    operator = me()
    require(operator, "listing.moderate")
    if decision not in ("approve", "reject"):
        abort(404)
    check_csrf()
    listing = listings.get_listing(listing_id, operator)
    try:
        console.decide_listing(
            operator,
            listing,
            approve=decision == "approve",
            reason=request.form.get("reason", ""),
            ip=ip(),
        )
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        errors = {f"{listing_id}": [m for msgs in errors_of(exc).values() for m in msgs]}
        return _listing_queue(errors, exc.status)
    flash(
        _("Approved and published.")
        if decision == "approve"
        else _("Rejected; the author sees your reason."),
        "success",
    )
    return _back("listings")


@bp.post("/listings/bulk")
@login_required
def listing_bulk():
    """Approve or reject every checked listing (one reason for all rejections)."""
    operator = me()
    require(operator, "listing.moderate")
    check_csrf()
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        abort(400)
    ids = sorted({int(i) for i in request.form.getlist("ids") if i.isdigit() and int(i) < 2**31})
    if not ids:
        return _listing_queue({"_": [_("Tick at least one listing.")]}, 422)
    done = 0
    try:
        for listing_id in ids:
            listing = listings.get_listing(listing_id, operator)
            console.decide_listing(
                operator,
                listing,
                approve=decision == "approve",
                reason=request.form.get("reason", ""),
                ip=ip(),
            )
            done += 1
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        messages = [m for msgs in errors_of(exc).values() for m in msgs]
        return _listing_queue({"_": messages}, exc.status)
    flash(ngettext("%(num)s listing decided.", "%(num)s listings decided.", done), "success")
    return _back("listings")


# ---------------------------------------------------------------------------
# disputes
# ---------------------------------------------------------------------------


DISPUTE_STATUSES = ("unresolved", "open", "answered", "resolved", "all")


def dispute_search(stmt: Any, q: str) -> Any:
    """Narrow a ``select(Dispute)`` to disputes whose reason, messages, order id (``123`` or
    ``#123``) or parties' names or emails contain ``q`` (case-insensitive, wildcards literal)."""
    needle = q.lower()

    def has(column: Any) -> Any:
        return func.lower(column).contains(needle, autoescape=True)

    party = select(User.id).where(has(User.email) | has(User.display_name))
    conditions = [
        has(Dispute.reason),
        Dispute.id.in_(select(DisputeMessage.dispute_id).where(has(DisputeMessage.body))),
        Dispute.order_id.in_(
            select(Order.id).where(Order.customer_id.in_(party) | Order.provider_id.in_(party))
        ),
    ]
    digits = q.removeprefix("#")
    if digits.isdigit() and 0 < int(digits) <= MAX_ID:
        conditions.append(Dispute.order_id == int(digits))
    return stmt.where(or_(*conditions))


def _dispute_context() -> dict[str, Any]:
    operator = me()
    status = request.args.get("status", "unresolved")
    if status not in DISPUTE_STATUSES:
        abort(404)
    assignee = request.args.get("assignee", "")
    q, q_errors = search_arg("q")
    rows: list[Dispute] = []
    if not q_errors:
        stmt = select(Dispute).order_by(Dispute.id).limit(500)
        if status == "unresolved":
            stmt = stmt.where(Dispute.status != "resolved")
        elif status != "all":
            stmt = stmt.where(Dispute.status == status)
        if q:
            stmt = dispute_search(stmt, q)
        stmt = console.filter_assigned(stmt, "disputes", Dispute.id, assignee, operator)
        rows = list(db.session.scalars(stmt))
    orders = {
        o.id: o
        for o in db.session.scalars(select(Order).where(Order.id.in_([d.order_id for d in rows])))
    }
    return {
        "disputes": rows,
        "orders": orders,
        "status": status,
        "statuses": DISPUTE_STATUSES,
        "q": request.args.get("q", "") if q_errors else q,
        "assignee": assignee,
        "assigned": console.assignments("disputes", [d.id for d in rows]),
        "operators": console.eligible_assignees("disputes"),
        "errors": {"q": q_errors} if q_errors else {},
        "queue": "disputes",
    }


@bp.get("/disputes")
@login_required
def dispute_queue():
    require(me(), "dispute.resolve")
    ctx = _dispute_context()
    return render_template("console/dispute_queue.html", **ctx), 400 if ctx["errors"] else 200


@bp.get("/disputes.csv")
@login_required
def dispute_queue_csv():
    require(me(), "dispute.resolve")
    ctx = _dispute_context()
    if ctx["errors"]:
        return render_template("console/dispute_queue.html", **ctx), 400
    parties = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_(
                    {o.customer_id for o in ctx["orders"].values()}
                    | {o.provider_id for o in ctx["orders"].values()}
                )
            )
        )
    }
    rows = []
    for d in ctx["disputes"]:
        order = ctx["orders"].get(d.order_id)
        customer = parties.get(order.customer_id) if order else None
        provider = parties.get(order.provider_id) if order else None
        rows.append(
            [
                d.id,
                d.order_id,
                order.customer_total_amount if order else None,
                order.currency if order else None,
                customer.email if customer else None,
                provider.email if provider else None,
                d.created_at,
                d.opened_by_role,
                d.reason,
                d.status,
                d.resolution,
                d.refunded_amount,
                assignee_email(ctx["assigned"], d.id),
            ]
        )
    header = (
        "id,order_id,order_total,currency,customer_email,provider_email,opened_at,"
        "opened_by_role,reason,status,resolution,refunded_amount,assigned_to"
    )
    return csv_export("disputes.csv", header, rows)


def _dispute_page(dispute: Dispute, errors: dict[str, list[str]] | None = None, status: int = 200):
    from ...core.ledger import service as ledger
    from ...core.orders import engine

    order = db.session.get(Order, dispute.order_id)
    return render_template(
        "console/dispute.html",
        dispute=dispute,
        order=order,
        events=engine.timeline(order),
        escrow=ledger.balance_of("escrow", order, order.currency),
        errors=errors or {},
        form=request.form,
        assigned=console.assignments("disputes", [dispute.id]).get(dispute.id),
        operators=console.eligible_assignees("disputes"),
        rulings=console.available_rulings(order),
    ), status


@bp.route("/disputes/<int:dispute_id>", methods=["GET", "POST"])
@login_required
def dispute_detail(dispute_id: int):
    operator = me()
    require(operator, "dispute.resolve")
    dispute = get_row(Dispute, dispute_id) or abort(404)
    if request.method == "GET":
        return _dispute_page(dispute)
    check_csrf()
    amount_text = (request.form.get("amount") or "").strip()
    amount = int(amount_text) if amount_text.isdigit() and len(amount_text) < 16 else None
    if amount_text and amount is None:
        return _dispute_page(dispute, {"amount": [_("Give a whole number of minor units.")]}, 422)
    try:
        console.rule_dispute(
            operator,
            dispute,
            request.form.get("ruling", ""),
            reason=request.form.get("reason", ""),
            amount=amount,
            ip=ip(),
        )
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        dispute = get_row(Dispute, dispute_id)
        return _dispute_page(dispute, errors_of(exc), exc.status)
    flash(_("The dispute is resolved; both parties were told why."), "success")
    return redirect(url_for("console.dispute_queue"), code=303)


# ---------------------------------------------------------------------------
# payouts
# ---------------------------------------------------------------------------


PAYOUT_STATUSES = ("requested", "paid", "rejected", "all")


def _payout_context() -> dict[str, Any]:
    status = request.args.get("status", "requested")
    if status not in PAYOUT_STATUSES:
        abort(404)
    assignee = request.args.get("assignee", "")
    q = request.args.get("q", "").strip()[:200]
    stmt = select(PayoutRequest).order_by(PayoutRequest.id).limit(500)
    if status != "all":
        stmt = stmt.where(PayoutRequest.status == status)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.join(User, User.id == PayoutRequest.user_id).where(
            func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
        )
    stmt = console.filter_assigned(stmt, "payouts", PayoutRequest.id, assignee, me())
    rows = list(db.session.scalars(stmt))
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([p.user_id for p in rows])))
    }
    return {
        "payouts": rows,
        "users": users,
        "status": status,
        "statuses": PAYOUT_STATUSES,
        "q": q,
        "assignee": assignee,
        "assigned": console.assignments("payouts", [p.id for p in rows]),
        "operators": console.eligible_assignees("payouts"),
        "queue": "payouts",
    }


def _payout_queue(errors: dict[str, list[str]] | None = None, status_code: int = 200):
    return render_template(
        "console/payout_queue.html", **_payout_context(), errors=errors or {}
    ), status_code


@bp.get("/payouts.csv")
@login_required
def payout_queue_csv():
    require(me(), "payout.approve")
    ctx = _payout_context()
    header = "id,user_id,user_email,user_name,amount,currency,status,note,requested_at,assigned_to"
    rows = []
    for p in ctx["payouts"]:
        user = ctx["users"].get(p.user_id)
        rows.append(
            [
                p.id,
                p.user_id,
                user.email if user else None,
                user.display_name if user else None,
                p.amount,
                p.currency,
                p.status,
                p.note,
                p.created_at,
                assignee_email(ctx["assigned"], p.id),
            ]
        )
    return csv_export("payouts.csv", header, rows)


@bp.get("/payouts")
@login_required
def payout_queue():
    require(me(), "payout.approve")
    return _payout_queue()


@bp.post("/payouts/<int:payout_id>/<decision>")
@login_required
def payout_decision(payout_id: int, decision: str):
    operator = me()
    require(operator, "payout.approve")
    payout = get_row(PayoutRequest, payout_id)
    if payout is None or decision not in ("approve", "reject"):
        abort(404)
    check_csrf()
    try:
        console.decide_payout(
            operator,
            payout,
            approve=decision == "approve",
            reason=request.form.get("reason") or request.form.get("note") or "",
            ip=ip(),
        )
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        errors = {f"{payout_id}": [m for msgs in errors_of(exc).values() for m in msgs]}
        return _payout_queue(errors, exc.status)
    flash(_("Payout approved.") if decision == "approve" else _("Payout rejected."), "success")
    return redirect(url_for("console.payout_queue"))


@bp.post("/payouts/bulk")
@login_required
def payout_bulk():
    """Approve every checked payout request."""
    operator = me()
    require(operator, "payout.approve")
    check_csrf()
    ids = sorted({int(i) for i in request.form.getlist("ids") if i.isdigit() and int(i) < 2**31})
    if not ids:
        return _payout_queue({"_": [_("Tick at least one payout.")]}, 422)
    try:
        for payout_id in ids:
            payout = get_row(PayoutRequest, payout_id)
            if payout is None:
                raise NotFound("No such payout.")
            console.decide_payout(operator, payout, approve=True, ip=ip())
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        return _payout_queue(
            {"_": [m for msgs in errors_of(exc).values() for m in msgs]}, exc.status
        )
    flash(ngettext("%(num)s payout approved.", "%(num)s payouts approved.", len(ids)), "success")
    return redirect(url_for("console.payout_queue"), code=303)
