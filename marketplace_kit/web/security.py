"""Security headers on every response (Flask ships none), and the session cookie's interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

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


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per secret key
    (Flask builds it again on every request, about 30 us)."""

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("mk_session_serializer")
        if cached is None or cached[0] != key:
            cached = (key, super().get_signing_serializer(app))
            app.extensions["mk_session_serializer"] = cached
        return cached[1]


def register_security(app: Flask, mk: MarketplaceState) -> None:
    app.session_interface = SessionInterface()
    force_https = mk.settings.security["force_https"]
    default_csp = render_policy(default_policy())

    fixed = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"),
    ]
    hsts = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")

    @app.after_request
    def security_headers(response: Response) -> Response:
        h = response.headers
        present = {name.lower() for name, _value in h.items()}  # one pass, not one per header
        missing = [(k, v) for k, v in fixed if k.lower() not in present]
        if (request.is_secure or force_https) and hsts[0].lower() not in present:
            missing.append(hsts)
        if "content-security-policy" not in present:
            if response.mimetype == "text/html" and mk.pm.hook.mk_prepare_csp.get_hookimpls():
                policy = default_policy()
                mk.pm.hook.mk_prepare_csp(policy=policy, request=request)
                missing.append(("Content-Security-Policy", render_policy(policy)))
            else:
                missing.append(("Content-Security-Policy", default_csp))
        if (
            "cache-control" not in present
            and request.endpoint != "static"
            and response.mimetype == "text/html"
        ):
            missing.append(("Cache-Control", "no-store" if request.cookies else "no-cache"))
        h.extend(missing)
        return response
