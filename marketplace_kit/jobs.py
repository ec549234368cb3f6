"""Background and periodic jobs on huey, one huey instance per app.

Storage: in-memory and immediate in tests (``[jobs] immediate = true``),
Redis when ``REDIS_URL`` is set, otherwise a SQLite file in the instance folder.
Plugins add jobs through ``mk_register_jobs``; the core enqueues by name with
:func:`enqueue`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab


@dataclass(frozen=True)
class Job:
    """A background job.

    ``schedule`` makes it periodic: a mapping of huey ``crontab`` fields, e.g.
    ``{"minute": "*/5"}``. ``retries``/``retry_delay`` (seconds) apply when the
    function raises.
    """

    name: str
    func: Callable[..., Any]
    schedule: dict[str, str] | None = None
    retries: int = 0
    retry_delay: int = 0


def make_huey(app: Flask, settings: Any) -> Huey:
    name = f"marketplace-kit-{settings.site['name']}"
    if settings.jobs["immediate"]:
        return MemoryHuey(name, immediate=True)
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url)
    os.makedirs(app.instance_path, exist_ok=True)
    return SqliteHuey(name, filename=os.path.join(app.instance_path, "jobs.sqlite3"))


def _in_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        from .events import dispatch_ready
        from .extensions import db

        with app.app_context():
            try:
                result = func(*args, **kwargs)
                dispatch_ready()
                return result
            finally:
                db.session.remove()

    return run


def bind_jobs(app: Flask, huey: Huey, jobs: dict[str, tuple[str, Job]]) -> dict[str, Any]:
    """Register every job on the app's huey; return ``{name: huey task}``."""
    tasks: dict[str, Any] = {}
    for name, (_plugin, job) in jobs.items():
        func = _in_app_context(app, job.func)
        if job.schedule:
            task = huey.periodic_task(
                crontab(**job.schedule), retries=job.retries, retry_delay=job.retry_delay, name=name
            )(func)
        else:
            task = huey.task(retries=job.retries, retry_delay=job.retry_delay, name=name)(func)
        tasks[name] = task
    return tasks


def enqueue(name: str, *args: Any, **kwargs: Any) -> Any:
    """Enqueue job ``name`` of the current app; returns huey's result handle."""
    from .app import state

    tasks = state(current_app).jobs
    if name not in tasks:
        raise KeyError(f"unknown job {name!r}; registered: {', '.join(sorted(tasks)) or 'none'}")
    return tasks[name](*args, **kwargs)


def run_periodic_now(name: str) -> Any:
    """Run a periodic job's function right now (for operators and tests)."""
    from .app import state

    return state(current_app).jobs[name].call_local()
