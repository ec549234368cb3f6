"""The core's pages and API, registered like any plugin's."""

from __future__ import annotations

import hmac

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl


@hookimpl(tryfirst=True)
def mk_register_blueprints(app: Flask):
    from ..web.console import bp as console
    from ..web.pages.account import bp as account
    from ..web.pages.api_docs import bp as api_docs
    from ..web.pages.listings import bp as listings
    from ..web.pages.main import bp as main
    from ..web.pages.messaging import bp as messaging

    return [main, account, console, listings, api_docs, messaging]


@hookimpl(tryfirst=True)
def mk_register_api_blueprints(app: Flask):
    from ..web.api.accounts import bp as auth
    from ..web.api.listings import bp as listings
    from ..web.api.messaging import bp as messaging
    from ..web.api.operator import bp as verification
    from ..web.api.site import bp as site
    from ..web.api.users import bp as users

    return [site, auth, users, verification, listings, messaging]


@hookimpl
def mk_register_jobs(app: Flask):
    from ..core.mail import DELIVER_JOB, deliver
    from ..jobs import Job

    return [Job(name=DELIVER_JOB, func=deliver, retries=5, retry_delay=60)]


@hookimpl
def mk_configure(app: Flask) -> None:
    from ..core.users.models import User
    from ..extensions import db, login_manager
    from ..web.pages.account import install_nul_guard, install_private_mode

    install_nul_guard(app)
    install_private_mode(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = _l("Please sign in to see this page.")

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, fingerprint = session_id.partition(".")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not hmac.compare_digest(fingerprint, user.session_fingerprint):
            return None
        if user is None or not user.is_active or user.deleted_at is not None:
            return None
        return user
