"""Errors as ``application/problem+json`` (RFC 9457) under /api/, HTML pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..errors import MarketplaceError, ValidationError
from ..extensions import db

log = logging.getLogger("marketplace_kit.web")
PROBLEM_JSON = "application/problem+json"


def wants_problem_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best in ("application/json", PROBLEM_JSON) and not request.accept_mimetypes.accept_html


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body.setdefault("instance", request.path)
    resp = jsonify(body)
    resp.status_code = body["status"]
    resp.mimetype = PROBLEM_JSON
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _http_problem(exc: HTTPException) -> dict[str, Any]:
    status = exc.code or 500
    slug = (exc.name or "error").lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": f"https://marketplace-kit.dev/problems/{slug}",
        "title": exc.name,
        "status": status,
        "detail": exc.description,
    }
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        # webargs/flask-smorest: {"json": {"field": ["msg"]}} -> {"field": ["msg"]}
        flat: dict[str, Any] = {}
        for _location, errs in messages.items():
            if isinstance(errs, dict):
                flat.update(errs)
        body["errors"] = flat or messages
        body["detail"] = "The request body or parameters are invalid."
    return body


#: Titles and explanations shown on HTML error pages, in the visitor's language.
PAGE_ERRORS: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Check what you sent and try again."),
    ),
    401: (_l("Sign-in required"), _l("Sign in to see this page.")),
    403: (_l("Forbidden"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or was removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("This conflicts with the current state. Reload and try again.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    422: (_l("Invalid input"), _l("Some of what you entered is not valid.")),
    429: (_l("Too many requests"), _l("Slow down a little and try again in a minute.")),
    500: (_l("Something went wrong"), _l("Something went wrong on our side. It has been logged.")),
    503: (_l("Unavailable"), _l("The site is briefly unavailable. Try again soon.")),
}


def _html(status: int, title: str, detail: str | None = None) -> tuple[str, int]:
    """An HTML error page; a specific ``detail`` wins over the generic text."""
    generic_title, generic_detail = PAGE_ERRORS.get(status, (title, detail or ""))
    return (
        render_template(
            "errors/error.html", status=status, title=generic_title, detail=detail or generic_detail
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MarketplaceError)
    def domain_error(exc: MarketplaceError):
        if wants_problem_json():
            headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status == 401 else None
            return problem_response(exc.to_problem(), headers)
        detail = exc.detail if exc.detail != exc.title else None
        return _html(exc.status, exc.title, detail)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        detail = _l(
            "The form expired or was not sent from this site. Go back, reload and try again."
        )
        if wants_problem_json():
            body = _http_problem(exc)
            body["detail"] = str(detail)
            return problem_response(body)
        return _html(400, "Bad request", detail)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if isinstance(exc, SecurityError):
            # untrusted Host: no URL can be built for it, so no page either
            return Response("Bad request: untrusted host.", 400, mimetype="text/plain")
        if wants_problem_json():
            headers = dict(exc.get_headers()) if exc.code == 405 else {}
            headers.pop("Content-Type", None)
            return problem_response(_http_problem(exc), headers)
        return _html(exc.code, exc.name)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(exc: Exception):
        """A number or text the database cannot store (e.g. an id beyond BIGINT): 422, not 500.

        Schemas should bound their fields; this is the net under all of them.
        """
        db.session.rollback()
        err = ValidationError(str(_l("A value is out of the range this site can store.")))
        if wants_problem_json():
            return problem_response(err.to_problem())
        return _html(422, err.title, err.detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("TESTING") and app.config.get("MK_RAISE_UNEXPECTED", True):
            raise exc
        err = InternalServerError()
        if wants_problem_json():
            return problem_response(_http_problem(err))
        return _html(500, err.name)
