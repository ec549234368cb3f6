"""Unbound extension instances; ``create_app`` binds them to each app.

Each of these keeps its per-app state in ``app.extensions``, so one instance
serves any number of apps. flask-smorest's ``Api`` and Flask-Limiter's
``Limiter`` keep their state on the instance, so ``app.py`` creates one of each
per app (reach them through ``marketplace_kit.app.state(app)``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
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
        ns = _babel_context()
        if ns is not None:
            seen = ns.__dict__
            cached = seen.get("mk_translations")
            if cached is not None and cached[0] is seen.get("babel_locale") and cached[1] is self:
                return cached[2]
        translations = super().get_translations()
        ns = _babel_context()
        if ns is not None and "babel_locale" in ns.__dict__:
            ns.mk_translations = (ns.babel_locale, self, translations)
        return translations


def _babel_context() -> Any:
    """Flask-Babel's per-context namespace (``g._flask_babel``), or ``None``."""
    try:
        return getattr(g, "_flask_babel", None)
    except RuntimeError:  # no app context
        return None


def current_translations() -> Any:
    """``flask_babel.get_translations()``, remembered while the context's locale stays the same.

    Flask-Babel resolves the context, domain and locale again for every string
    (about 30 times on a page); this answers from what the last call stored on
    the context, as long as neither the locale (``force_locale``, ``refresh``)
    nor the context's domain changed since.
    """
    ns = _babel_context()
    if ns is not None:
        seen = ns.__dict__
        cached = seen.get("mk_translations")
        if (
            cached is not None
            and cached[0] is seen.get("babel_locale")
            and cached[1] is seen.get("babel_domain")
        ):
            return cached[2]
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
    return rv % variables  # always a format string, as in Jinja's newstyle gettext


@pass_context
def _jinja_ngettext(context: Any, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    rv = current_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704  (the catalog is ours; variables are escaped by %)
    return rv % variables


babel = _Babel()
