"""Errors raised by marketplace-kit.

Two families:

* **Startup errors** (:class:`StartupError` and subclasses) stop ``create_app``.
  Their message always names the file/section/key or the plugin(s) involved.
* **Domain errors** (:class:`MarketplaceError` subclasses with an HTTP ``status``)
  are raised by services and rendered as ``application/problem+json`` under
  ``/api/`` or as an HTML error page elsewhere.
"""

from __future__ import annotations

from typing import Any


class StartupError(Exception):
    """The app cannot start; the message says why and where."""


class ConfigError(StartupError):
    """``marketplace.toml`` (or an override) is invalid.

    ``problems`` holds one ``(location, message)`` pair per problem, where
    location reads like ``marketplace.toml: [site] currency``.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = [f"{where}: {what}" for where, what in problems]
        super().__init__("invalid configuration:\n  " + "\n  ".join(lines))


class PluginError(StartupError):
    """A plugin could not be loaded, validated or registered."""


class MarketplaceError(Exception):
    """Base of errors a request can cause; rendered as RFC 9457 problem details."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        status: int | None = None,
        **extra: Any,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or {}
        if status is not None:
            self.status = status
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://marketplace-kit.dev/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationError(MarketplaceError):
    status = 422
    title = "Invalid input"
    type_slug = "validation"


class NotFound(MarketplaceError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class PermissionDenied(MarketplaceError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class Conflict(MarketplaceError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"
