"""Unbound extension instances; ``create_app`` binds them to each app.

Each of these keeps its per-app state in ``app.extensions``, so one instance
serves any number of apps. flask-smorest's ``Api`` and Flask-Limiter's
``Limiter`` keep their state on the instance, so ``app.py`` creates one of each
per app (reach them through ``marketplace_kit.app.state(app)``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.globals import _cv_app
from flask_babel import Babel, Domain, get_translations
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.utils import cached_property

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class _AppDomain(Domain):
    """Flask-Babel's default domain, with its catalog cache kept per app.

    Flask-Babel caches merged catalogs on the domain object, which hangs off the
    shared ``Babel`` instance; two apps with different plugins (so different
    translation directories) in one process would then get whichever app's
    catalog was loaded first.
    """

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("mk_babel_translations", {})

    def get_translations(self):
        return remembered_per_locale("mk_translations", super().get_translations)


def _babel_context() -> Any:
    """Flask-Babel's per-context namespace (``g._flask_babel``), or ``None``.

    Read from the app context itself rather than through the ``g`` proxy: a page asks
    for it some 40 times (every translated string, every locale lookup), and the
    proxy's lookup cost as much as the rest of a translation."""
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.g.__dict__.get("_flask_babel")


def remembered_per_locale(key: str, compute: Any) -> Any:
    """``compute()``, remembered on the context under ``key`` while its locale stays the same.

    Flask-Babel resolves the context and locale again for every string (about
    30 times on a page); a value derived from the locale is worked out once until
    the locale changes (``force_locale``, ``refresh``).
    """
    ns = _babel_context()
    if ns is not None:
        seen = ns.__dict__
        cached = seen.get(key)
        if cached is not None and cached[0] is seen.get("babel_locale"):
            return cached[1]
    value = compute()
    ns = _babel_context()
    if ns is not None and "babel_locale" in ns.__dict__:
        setattr(ns, key, (ns.babel_locale, value))
    return value


def current_translations() -> Any:
    """``flask_babel.get_translations()``, without looking the domain up again when the
    context uses the app's own (whose catalog is remembered per locale)."""
    ns = _babel_context()
    domain = ns.__dict__.get("babel_domain") if ns is not None else None
    if isinstance(domain, _AppDomain):
        return domain.get_translations()
    return get_translations()


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _AppDomain(domain=self.domain)

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        # Jinja's newstyle gettext, through the remembered catalog and without
        # the two indirections of the i18n extension's wrappers (a page calls it ~30 times).
        app.jinja_env.install_gettext_callables(
            gettext=lambda s: current_translations().ugettext(s),
            ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: current_translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        )
        app.jinja_env.globals.update(_=_jinja_gettext, gettext=_jinja_gettext)
        app.jinja_env.globals["ngettext"] = _jinja_ngettext


@pass_context
def _jinja_gettext(context: Any, string: str, /, **variables: Any) -> str:
    rv = current_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704  (the catalog is ours; variables are escaped by %)
    # always a format string, as in Jinja's newstyle gettext ("%%" is a percent sign)
    return rv % variables if variables or "%" in rv else rv


@pass_context
def _jinja_ngettext(context: Any, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    rv = current_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704  (the catalog is ours; variables are escaped by %)
    return rv % variables


babel = _Babel()
