"""Security headers on every response (Flask ships none)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response, request

if TYPE_CHECKING:
    from ..app import MarketplaceState

FIXED_DIRECTIVES = {
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}


def default_policy() -> dict[str, list[str]]:
    return {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
    }


def render_policy(policy: dict[str, list[str]]) -> str:
    merged = {**policy, **FIXED_DIRECTIVES}
    return "; ".join(f"{k} {' '.join(dict.fromkeys(v))}" for k, v in merged.items())


def register_security(app: Flask, mk: MarketplaceState) -> None:
    force_https = mk.settings.security["force_https"]
    default_csp = render_policy(default_policy())

    @app.after_request
    def security_headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if request.is_secure or force_https:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if "Content-Security-Policy" not in h:
            if response.mimetype == "text/html" and mk.pm.hook.mk_prepare_csp.get_hookimpls():
                policy = default_policy()
                mk.pm.hook.mk_prepare_csp(policy=policy, request=request)
                h["Content-Security-Policy"] = render_policy(policy)
            else:
                h["Content-Security-Policy"] = default_csp
        if (
            request.endpoint != "static"
            and "Cache-Control" not in h
            and response.mimetype == "text/html"
        ):
            h["Cache-Control"] = "no-store" if request.cookies else "no-cache"
        return response
