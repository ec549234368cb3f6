"""`marketplace-kit run` serves the site and `marketplace-kit worker` runs queued jobs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace_kit import create_app
from marketplace_kit.extensions import db
from marketplace_kit.jobs import enqueue

CLI = [sys.executable, "-m", "marketplace_kit.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "marketplace.toml"
    path.write_text(
        f'[app]\ndebug = true\ninstance_path = "{tmp_path / "instance"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "site.sqlite3"}"\n' + extra
    )
    return path


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    out.pop("MARKETPLACE_CONFIG", None)
    return out


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_run_serves_the_site(tmp_path):
    config = write_config(tmp_path)
    subprocess.run([*CLI, "--config", str(config), "db", "upgrade"], check=True, env=env())
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "--config", str(config), "run", "--port", str(port)],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return r.status == 200 and b'"database":true' in r.read().replace(b" ", b"")
            except OSError:
                return False

        assert wait_for(healthy)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_worker_runs_jobs_enqueued_by_the_site(tmp_path, backend, monkeypatch):
    extra_env = {}
    if backend == "redis":
        url = os.environ.get("MARKETPLACE_TEST_REDIS_URL")
        if not url:
            pytest.skip("needs Redis: set MARKETPLACE_TEST_REDIS_URL (CI does)")
        extra_env["REDIS_URL"] = url
    site_name = f"worker-{backend}-{os.getpid()}-{time.monotonic_ns()}"
    config = write_config(
        tmp_path, f'[site]\nname = "{site_name}"\n[plugins]\nenabled = ["sample"]\n'
    )
    child_env = {**env(), **extra_env}
    subprocess.run([*CLI, "--config", str(config), "db", "upgrade"], check=True, env=child_env)
    worker = subprocess.Popen(
        [*CLI, "--config", str(config), "worker", "--workers", "1"],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        for key, value in extra_env.items():
            monkeypatch.setenv(key, value)
        app = create_app(str(config))
        with app.app_context():
            from marketplace_kit_sample import Note

            from marketplace_kit.core.users.service import create_user
            from marketplace_kit.events import commit

            user = create_user("w@example.com", "Worker Test")
            commit()
            enqueue("sample.add_note", owner_id=user.id, body=f"queued on {backend}")

            def done():
                db.session.rollback()
                return db.session.scalar(select(Note).where(Note.body == f"queued on {backend}"))

            assert wait_for(done).owner_id == user.id
            db.engine.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
