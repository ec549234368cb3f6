"""Background jobs: storage per environment, running in an app context, rate-limit storage."""

from __future__ import annotations

import os
import uuid

import pytest
from flask import Blueprint
from huey import MemoryHuey, RedisHuey, SqliteHuey

from marketplace_kit import Job, hookimpl, state
from marketplace_kit.jobs import enqueue
from marketplace_kit.web.ratelimit import limit

REDIS_ENV = "MARKETPLACE_TEST_REDIS_URL"
needs_redis = pytest.mark.skipif(
    not os.environ.get(REDIS_ENV), reason=f"needs Redis: set {REDIS_ENV} (CI does)"
)


class Jobs:
    mk_plugin_name = "jobs_under_test"
    ran: list[tuple[str, int]] = []

    @hookimpl
    def mk_register_jobs(self, app):
        def record(n: int) -> str:
            from flask import current_app

            Jobs.ran.append((current_app.config["MK_SITE_LABEL"], n))
            return f"done {n}"

        return [Job("test.record", record)]

    @hookimpl
    def mk_configure(self, app):
        app.config["MK_SITE_LABEL"] = state(app).settings.site["name"]


def run_one(huey) -> object:
    """What `marketplace-kit worker` does for one message."""
    task = huey.dequeue()
    assert task is not None, "nothing was queued"
    return huey.execute(task)


def test_tests_run_jobs_immediately_in_memory(app_factory):
    Jobs.ran.clear()
    app = app_factory({"site": {"name": "immediate"}}, extra_plugins=[Jobs()])
    assert isinstance(state(app).huey, MemoryHuey)
    with app.app_context():
        assert enqueue("test.record", 1)() == "done 1"
    assert Jobs.ran == [("immediate", 1)]


def test_sqlite_storage_by_default(app_factory):
    Jobs.ran.clear()
    app = app_factory(
        {"site": {"name": "sqlite-jobs"}, "jobs": {"immediate": False}}, extra_plugins=[Jobs()]
    )
    huey = state(app).huey
    assert isinstance(huey, SqliteHuey)
    with app.app_context():
        enqueue("test.record", 2)
    assert Jobs.ran == []  # queued, not run
    assert huey.pending_count() == 1
    assert run_one(huey) == "done 2"
    assert Jobs.ran == [("sqlite-jobs", 2)]


def test_unknown_job_names_the_registered_ones(app):
    with pytest.raises(KeyError, match="unknown job 'nope'"):
        enqueue("nope")


@needs_redis
def test_redis_storage_when_redis_url_is_set(app_factory, monkeypatch):
    Jobs.ran.clear()
    name = f"redis-jobs-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REDIS_URL", os.environ[REDIS_ENV])
    # app_factory clears REDIS_URL for isolation; set it through the environment after
    app = app_factory(
        {"site": {"name": name}, "jobs": {"immediate": False}}, extra_plugins=[Jobs()]
    )
    huey = state(app).huey
    try:
        assert isinstance(huey, RedisHuey)
        with app.app_context():
            enqueue("test.record", 3)
        # a second process (another app instance) consumes it: shared storage
        worker_app = app_factory(
            {"site": {"name": name}, "jobs": {"immediate": False}}, extra_plugins=[Jobs()]
        )
        assert run_one(state(worker_app).huey) == "done 3"
        assert Jobs.ran == [(name, 3)]
    finally:
        huey.flush()


@needs_redis
def test_rate_limits_are_shared_through_redis(app_factory, monkeypatch):
    monkeypatch.setenv("REDIS_URL", os.environ[REDIS_ENV])
    monkeypatch.setenv("MARKETPLACE_TEST_RATELIMIT", "1")
    bp = Blueprint("limited", __name__)

    @bp.get("/limited")
    @limit("2 per minute")
    def limited():
        return "ok"

    class Limited:
        mk_plugin_name = "limited"

        @hookimpl
        def mk_register_blueprints(self, app):
            return [bp]

    name = f"rl-{uuid.uuid4().hex[:8]}"
    worker_a = app_factory({"site": {"name": name}}, extra_plugins=[Limited()])
    worker_b = app_factory({"site": {"name": name}}, extra_plugins=[Limited()])
    assert worker_a.test_client().get("/limited").status_code == 200
    assert worker_b.test_client().get("/limited").status_code == 200
    resp = worker_a.test_client().get("/limited")
    assert resp.status_code == 429
    assert resp.mimetype == "text/html"
