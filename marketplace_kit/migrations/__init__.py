"""Database migrations: the core's Alembic history plus one branch per enabled plugin.

Each plugin ships ``<package>/migrations/versions/``; its first revision
carries ``branch_labels = ("<name>",)`` and ``depends_on`` the core revision
it needs. ``upgrade()`` brings every branch to its head.
"""

from __future__ import annotations

import os
from pathlib import Path

import flask_migrate
from alembic.config import Config
from flask import current_app

from ..extensions import migrate

CORE_VERSIONS = Path(__file__).resolve().parent / "versions"


def version_locations() -> list[str]:
    from ..app import state

    return [str(CORE_VERSIONS)] + [
        str(p)
        for _name, p in state(current_app).plugin_dirs(os.path.join("migrations", "versions"))
    ]


@migrate.configure
def _configure(config: Config) -> Config:
    config.set_main_option("version_locations", os.pathsep.join(version_locations()))
    return config


def upgrade(revision: str = "heads") -> None:
    flask_migrate.upgrade(revision=revision)


def downgrade(revision: str) -> None:
    flask_migrate.downgrade(revision=revision)


def current() -> None:
    flask_migrate.current(verbose=False)


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return list(ScriptDirectory.from_config(config).get_heads())
