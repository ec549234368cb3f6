"""Declare rate limits on views; ``create_app`` binds them to the app's own limiter.

Flask-Limiter keeps its state per ``Limiter`` instance, and every app has its
own, so views declare limits with this marker instead of a global limiter::

    @bp.post("/login")
    @limit("10 per minute")
    def login(): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RateLimit:
    limit: str
    key_func: Callable[[], str] | None = None
    methods: list[str] | None = None
    scope: str | None = None


def limit(
    limit_value: str,
    *,
    key_func: Callable[[], str] | None = None,
    methods: list[str] | None = None,
    scope: str | None = None,
) -> Callable[[F], F]:
    def mark(view: F) -> F:
        specs = (
            *getattr(view, "_mk_rate_limits", ()),
            RateLimit(limit_value, key_func, methods, scope),
        )
        view._mk_rate_limits = specs  # type: ignore[attr-defined]
        return view

    return mark
