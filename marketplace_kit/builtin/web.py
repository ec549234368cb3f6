"""The core's pages and API, registered like any plugin's."""

from __future__ import annotations

from flask import Flask

from ..hookspecs import hookimpl


@hookimpl(tryfirst=True)
def mk_register_blueprints(app: Flask):
    from ..web.pages.api_docs import bp as api_docs
    from ..web.pages.listings import bp as listings
    from ..web.pages.main import bp as main

    return [main, api_docs, listings]


@hookimpl(tryfirst=True)
def mk_register_api_blueprints(app: Flask):
    from ..web.api.listings import bp as listings
    from ..web.api.site import bp as site

    return [site, listings]


@hookimpl
def mk_configure(app: Flask) -> None:
    from ..core.users.models import User
    from ..extensions import db, login_manager

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None
