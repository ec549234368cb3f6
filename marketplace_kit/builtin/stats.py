"""The core's statistics job: keeps the daily rollups of the console dashboard current."""

from __future__ import annotations

from flask import Flask

from ..hookspecs import hookimpl
from ..jobs import Job

ROLLUP_JOB = "core.stats_rollup"


def _refresh() -> int:
    from ..core.stats.service import refresh_rollups

    return refresh_rollups()


@hookimpl
def mk_register_jobs(app: Flask):
    return [Job(ROLLUP_JOB, _refresh, schedule={"minute": "*/15"}, retries=2, retry_delay=60)]
