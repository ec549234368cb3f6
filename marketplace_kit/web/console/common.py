"""Small helpers shared by the console's modules."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, abort, request
from flask_login import current_user
from flask_wtf import FlaskForm

from ...core.console.service import csv_cell
from ...core.users.service import MAX_ID
from ...errors import MarketplaceError


class CsrfForm(FlaskForm):
    """An empty form: only its CSRF token is checked."""


def me() -> Any:
    return current_user._get_current_object()


def check_csrf() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400)


def ip() -> str | None:
    return request.remote_addr


def errors_of(exc: MarketplaceError) -> dict[str, list[str]]:
    """Field errors of ``exc``, or its detail under ``_`` (shown above the form)."""
    if exc.errors:
        return {
            k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in exc.errors.items()
        }
    return {"_": [exc.detail]}


def id_arg(name: str) -> int | None:
    """A positive id from the query string; anything else is ``None``."""
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def form_id(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def date_arg(name: str, *, end: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` query parameter as UTC midnight (``end``: the next midnight)."""
    value = request.args.get(name, "").strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    moment = datetime.combine(day, time(), tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def csv_response(text: str, filename: str) -> Response:
    resp = Response(text, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def csv_export(filename: str, header: str, rows: Iterable[Sequence[Any]]) -> Response:
    """A queue or list as a CSV download; ``header`` is the comma-separated column names."""
    return csv_response(csv_table(header.split(","), rows), filename)


def assignee_email(assigned: dict[int, Any], item_id: int) -> str | None:
    """The email of the operator an item is assigned to (``None`` when unassigned)."""
    who = assigned.get(item_id)
    return who.email if who else None


def csv_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document: ``header`` then ``rows``; every cell goes through :func:`csv_cell`.

    Datetimes are written in ISO 8601 (UTC), ``None`` as an empty cell.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                "" if v is None else v.isoformat() if isinstance(v, datetime) else csv_cell(v)
                for v in row
            ]
        )
    return out.getvalue()


def search_arg(name: str = "q", limit: int = 200) -> tuple[str, list[str]]:
    """A free-text search parameter and its errors (too long, or control characters)."""
    from flask_babel import gettext as _

    value = request.args.get(name, "").strip()
    errors = []
    if len(value) > limit:
        errors.append(_("Search for at most %(num)s characters.", num=limit))
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        errors.append(_("The search text contains characters that cannot be searched for."))
    return ("" if errors else value), errors
