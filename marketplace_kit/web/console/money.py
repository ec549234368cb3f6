"""Console pages for orders and money: order search and view (timeline, ledger entries,
operator transitions with a reason), bank transfers to confirm, ledger accounts, ledger check."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from ...core.access import require
from ...core.console import service as console
from ...core.disputes.service import dispute_of
from ...core.ledger import service as ledger
from ...core.ledger.models import LedgerAccount, Posting
from ...core.orders import engine
from ...core.orders.models import Order
from ...core.orders.registry import all_processes
from ...core.payments.models import Payment
from ...core.payments.providers import payment_providers
from ...core.payments.service import payments_of
from ...core.users.service import get_row
from ...errors import MarketplaceError
from ...events import commit
from ...extensions import db
from . import bp
from .common import check_csrf, csv_export, date_arg, errors_of, id_arg, ip, me


def _orders_context() -> dict:
    args = request.args
    processes = sorted(all_processes())
    process = args.get("process", "")
    process = process if process in processes else ""
    state = args.get("state", "").strip()[:64]
    rows = console.search_orders(
        order_id=id_arg("id"),
        user=args.get("user", "")[:200],
        state=state,
        process=process,
        since=date_arg("since"),
        until=date_arg("until", end=True),
    )
    if args.get("id") and id_arg("id") is None:
        rows = []
    return {"orders": rows, "args": args, "processes": processes}


@bp.get("/orders")
@login_required
def orders():
    require(me(), "order.operate")
    return render_template("console/orders.html", **_orders_context())


@bp.get("/orders.csv")
@login_required
def orders_csv():
    require(me(), "order.operate")
    header = (
        "id,process,state,customer_id,customer_email,provider_id,provider_email,"
        "customer_total,currency,created_at"
    )
    rows = [
        [
            o.id,
            o.process_name,
            o.state,
            o.customer_id,
            o.customer.email,
            o.provider_id,
            o.provider.email,
            o.customer_total_amount,
            o.currency,
            o.created_at,
        ]
        for o in _orders_context()["orders"]
    ]
    return csv_export("orders.csv", header, rows)


def _operator_options(order: Order) -> list[dict]:
    from ...core.orders.views import transition_options

    process = engine.process_of(order)
    return [
        o
        for o in transition_options(order, me())
        if "operator" in process.transition(o["name"]).actors
    ]


def _order_page(order: Order, errors: dict[str, list[str]] | None = None, status: int = 200):
    entries = ledger.entries_for_order(order.id)
    return render_template(
        "console/order.html",
        order=order,
        events=engine.timeline(order),
        entries=entries,
        payments=payments_of(order),
        dispute=dispute_of(order),
        escrow=ledger.balance_of("escrow", order, order.currency),
        options=_operator_options(order),
        errors=errors or {},
        form=request.form,
        actions=list(
            db.session.scalars(console.audit_query(target_type="order", target_id=str(order.id)))
        ),
    ), status


@bp.get("/orders/<int:order_id>")
@login_required
def order_detail(order_id: int):
    require(me(), "order.operate")
    order = get_row(Order, order_id) or abort(404)
    return _order_page(order)


@bp.post("/orders/<int:order_id>/transitions/<name>")
@login_required
def order_transition(order_id: int, name: str):
    operator = me()
    require(operator, "order.operate")
    order = get_row(Order, order_id) or abort(404)
    check_csrf()
    amount_text = (request.form.get("amount") or "").strip()
    amount = int(amount_text) if amount_text.isdigit() and len(amount_text) < 16 else None
    if amount_text and amount is None:
        return _order_page(order, {"amount": [_("Give a whole number of minor units.")]}, 422)
    version_text = request.form.get("expected_version") or ""
    try:
        console.operator_transition(
            operator,
            order,
            name,
            reason=request.form.get("reason", ""),
            amount=amount,
            expected_version=int(version_text) if version_text.isdigit() else None,
            ip=ip(),
        )
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        order = get_row(Order, order_id)
        return _order_page(order, errors_of(exc), exc.status)
    flash(_("Done; both parties were told why."), "success")
    return redirect(url_for("console.order_detail", order_id=order_id), code=303)


# ---------------------------------------------------------------------------
# bank transfers (manual provider)
# ---------------------------------------------------------------------------


@bp.get("/payments")
@login_required
def payments():
    require(me(), "payment.confirm")
    manual = [n for n, p in payment_providers().items() if p.operator_confirms]
    rows = list(
        db.session.scalars(
            select(Payment)
            .where(Payment.provider.in_(manual), Payment.status == "pending")
            .order_by(Payment.id)
            .limit(500)
        )
    )
    return render_template("console/payments.html", payments=rows)


@bp.post("/payments/<int:payment_id>/confirm")
@login_required
def payment_confirm(payment_id: int):
    operator = me()
    require(operator, "payment.confirm")
    payment = get_row(Payment, payment_id) or abort(404)
    check_csrf()
    try:
        console.confirm_payment(operator, payment, ip=ip())
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        flash(exc.detail, "error")
        return redirect(url_for("console.payments"), code=303)
    flash(_("Payment confirmed; the order is paid."), "success")
    return redirect(url_for("console.payments"), code=303)


# ---------------------------------------------------------------------------
# ledger
# ---------------------------------------------------------------------------


@bp.get("/ledger")
@login_required
def ledger_accounts():
    require(me(), "ledger.view")
    kind = request.args.get("kind", "").strip()[:40]
    owner = request.args.get("owner", "").strip()[:64]
    currency = request.args.get("currency", "").strip().upper()[:3]
    stmt = select(LedgerAccount).order_by(LedgerAccount.kind, LedgerAccount.owner_key).limit(500)
    if kind:
        stmt = stmt.where(LedgerAccount.kind == kind)
    if owner:
        stmt = stmt.where(LedgerAccount.owner_key == owner)
    if currency:
        stmt = stmt.where(LedgerAccount.currency == currency)
    totals = db.session.execute(
        select(LedgerAccount.kind, LedgerAccount.currency, func.sum(LedgerAccount.balance_amount))
        .group_by(LedgerAccount.kind, LedgerAccount.currency)
        .order_by(LedgerAccount.kind, LedgerAccount.currency)
    ).all()
    kinds = list(
        db.session.scalars(select(LedgerAccount.kind).distinct().order_by(LedgerAccount.kind))
    )
    return render_template(
        "console/ledger.html",
        accounts=list(db.session.scalars(stmt)),
        totals=totals,
        kinds=kinds,
        kind=kind,
        owner=owner,
        currency=currency,
    )


@bp.get("/ledger/accounts/<int:account_id>")
@login_required
def ledger_account(account_id: int):
    require(me(), "ledger.view")
    acc = get_row(LedgerAccount, account_id) or abort(404)
    return render_template(
        "console/ledger_account.html", account=acc, postings=ledger.history(acc, 200)
    )


@bp.get("/ledger/verify")
@login_required
def ledger_verify():
    require(me(), "ledger.view")
    problems = ledger.verify()
    counts = {
        "accounts": db.session.scalar(select(func.count()).select_from(LedgerAccount)),
        "postings": db.session.scalar(select(func.count()).select_from(Posting)),
    }
    return render_template("console/ledger_verify.html", problems=problems, counts=counts)
