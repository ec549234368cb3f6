"""The marketplace-kit test kit: a pytest plugin (entry point ``pytest11``).

The core's tests and every plugin's tests use the same fixtures:

* ``app`` -- an app with a fresh database, inside an app context. Shape it
  with the ``mk_config`` / ``mk_plugins`` fixtures (override them in a
  ``conftest.py``) or the ``mk_config(...)`` / ``mk_plugins(...)`` markers.
* ``app_factory(config=None, plugins=None, extra_plugins=(), migrate=False)`` --
  more apps; ``migrate=True`` builds the schema with the migrations, and
  ``schema_differences(app)`` then shows where they disagree with the models.
* ``client`` -- a test client with ``login(user)``, ``logout()`` and
  ``csrf_token()``; ``cli`` -- runs ``marketplace-kit`` commands on ``app``.
* ``register_plugin(obj)`` -- register a throwaway plugin for one test.
* ``user_factory(**fields)`` -- committed users with unique emails.
* ``db_dialect`` -- ``"sqlite"`` or ``"postgresql"``.
* ``count_queries(app)`` -- a context manager recording the SQL statements run
  inside it (``len(log)``), for tests that pages don't query once per row.

The database is SQLite by default, PostgreSQL when
``MARKETPLACE_TEST_DATABASE_URL`` is set (each run gets its own database).
"""

from .client import MarketplaceClient
from .database import TestDatabase, schema_differences
from .queries import count_queries

__all__ = ["MarketplaceClient", "TestDatabase", "count_queries", "schema_differences"]
