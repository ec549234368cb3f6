"""The operator audit log: every console action (who, what, when, target, before/after),
filtered on the page and exported as CSV."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import login_required

from ...core.access import require
from ...core.console import service as console
from ...extensions import db
from . import bp
from .common import csv_response, date_arg, id_arg, me

PAGE = 200
CSV_LIMIT = 100_000


def _filters() -> dict[str, Any]:
    args = request.args
    return {
        "action": args.get("action", "").strip()[:64],
        "actor_id": id_arg("actor"),
        "subject_id": id_arg("user"),
        "target_type": args.get("target_type", "").strip()[:32],
        "target_id": args.get("target_id", "").strip()[:64],
        "since": date_arg("since"),
        "until": date_arg("until", end=True),
    }


@bp.get("/actions")
@login_required
def operator_actions():
    require(me(), "operator.view_audit")
    rows = list(db.session.scalars(console.audit_query(**_filters()).limit(PAGE)))
    return render_template(
        "console/actions.html",
        rows=rows,
        args=request.args,
        actions=console.audit_actions(),
        page=PAGE,
    )


@bp.get("/actions.csv")
@login_required
def operator_actions_csv():
    require(me(), "operator.view_audit")
    rows = db.session.scalars(console.audit_query(**_filters()).limit(CSV_LIMIT))
    return csv_response(console.audit_csv(rows), "operator-actions.csv")
