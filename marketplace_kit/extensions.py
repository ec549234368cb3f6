"""Unbound extension instances; ``create_app`` binds them to each app.

Each of these keeps its per-app state in ``app.extensions``, so one instance
serves any number of apps. flask-smorest's ``Api`` and Flask-Limiter's
``Limiter`` keep their state on the instance, so ``app.py`` creates one of each
per app (reach them through ``marketplace_kit.app.state(app)``).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
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


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _AppDomain(domain=self.domain)


babel = _Babel()
