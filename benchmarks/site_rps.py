"""Requests per second of the search and listing pages vs a bare Flask app.

Generates listings with ``benchmarks/search.py``'s ``build`` (100k by default,
SQLite file; ``--pg-url`` for PostgreSQL, which is dropped and re-created),
then serves the same database with two apps, each under gunicorn with
``--workers`` worker processes (default 2, sync workers as in
docs/deployment.md):

* marketplace-kit: ``marketplace_kit:create_app()`` in production mode (no
  debug/testing, SECRET_KEY set, trusted hosts, templates cached);
* the bare app of ``benchmarks/site_bare.py``: the same SQL statements
  through a plain SQLAlchemy engine and a minimal Jinja template.

Per page (browse ``/listings/``, ``/listings/?q=`` with mid- and common-
frequency terms, ``/listings/<id>``) it runs ``--threads`` client threads,
each with one keep-alive connection (http.client; a sync gunicorn worker
closes it after each response, so the client reconnects, the same for both
apps), for ``--warmup`` seconds unrecorded and ``--seconds`` recorded, and
prints requests per second, p50/p95 latency and the ratio marketplace-kit /
bare (target: at least 0.5). Both servers are up for the whole run and
measured one after the other per page, so both see the same background load.

    .venv/bin/python benchmarks/site_rps.py                     # 100k, SQLite, 10 s per page
    .venv/bin/python benchmarks/site_rps.py --size 20000 --seconds 3 --warmup 1
    .venv/bin/python benchmarks/site_rps.py --pg-url postgresql://postgres@127.0.0.1/mk_bench_site
    .venv/bin/python benchmarks/site_rps.py --reuse-db          # skip generation if built before

The client threads share the machine with the servers: on a small box the
figures are lower than on a dedicated load generator, for both apps alike.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
TARGET = 0.5


def _load_search_module() -> Any:
    spec = importlib.util.spec_from_file_location("mk_bench_search", HERE / "search.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def prepare_data(url: str, size: int, state_file: Path, reuse: bool) -> dict[str, Any]:
    """Generate ``size`` listings at ``url`` (or reuse them) and pick the URLs to request."""
    if reuse and state_file.exists():
        data = json.loads(state_file.read_text(encoding="utf-8"))
        if data.get("url") == url and data.get("size") == size:
            print(f"# reusing {size:,} listings at {url}", file=sys.stderr)
            return data
    bench = _load_search_module()
    if url.startswith("postgres"):
        bench.recreate_database(url)
    t = time.perf_counter()
    app, info = bench.build(url, size)
    print(
        f"# generated {size:,} listings in {time.perf_counter() - t:.0f}s "
        f"(insert {info['load_s']:.0f}s, index {info['index_s']:.0f}s)",
        file=sys.stderr,
    )
    terms = bench.pick_terms(info["df"], size, random.Random(3))
    import sqlalchemy as sa

    from marketplace_kit.extensions import db

    with app.app_context():
        ids = list(
            db.session.scalars(
                sa.text("SELECT id FROM listings WHERE status = 'published' ORDER BY id")
            )
        )
        db.session.remove()
        db.engine.dispose()
    rnd = random.Random(5)
    data = {
        "url": url,
        "size": size,
        "terms": {"mid": terms["mid"], "common": terms["common"]},
        "listing_ids": sorted(rnd.sample(ids, min(200, len(ids)))),
    }
    state_file.write_text(json.dumps(data), encoding="utf-8")
    return data


def pages(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    def search(words: list[str]) -> list[str]:
        return [f"/listings/?q={quote(w)}" for w in words]

    return [
        ("browse /listings/", ["/listings/"]),
        ("search ?q= (mid-frequency terms)", search(data["terms"]["mid"])),
        ("search ?q= (common terms)", search(data["terms"]["common"])),
        ("listing /listings/<id>", [f"/listings/{i}" for i in data["listing_ids"]]),
    ]


# ---------------------------------------------------------------------------
# the two apps
# ---------------------------------------------------------------------------


def mk_config(workdir: Path, url: str, port: int) -> Path:
    """A production ``marketplace.toml``: no debug/testing, trusted hosts, own instance dir."""
    path = workdir / "marketplace.toml"
    path.write_text(
        "[app]\n"
        f"instance_path = {json.dumps(str(workdir / 'instance'))}\n"
        "[database]\n"
        f"url = {json.dumps(url)}\n"
        "[site]\n"
        f'base_url = "http://127.0.0.1:{port}"\n'
        'currency = "USD"\n'
        "[security]\n"
        'trusted_hosts = ["127.0.0.1"]\n',
        encoding="utf-8",
    )
    return path


def check_production(env: dict[str, str], which: str) -> None:
    """Build each app once in a child process and refuse to measure a debug/testing app."""
    code = (
        "import json, sys\n"
        "if sys.argv[1] == 'mk':\n"
        "    from marketplace_kit import create_app\n"
        "else:\n"
        f"    sys.path.insert(0, {str(HERE)!r})\n"
        "    from site_bare import create_app\n"
        "app = create_app()\n"
        "print(json.dumps({'debug': app.debug, 'testing': app.testing,"
        " 'auto_reload': app.jinja_env.auto_reload,"
        " 'trusted_hosts': app.config.get('TRUSTED_HOSTS')}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, which], env=env, capture_output=True, text=True, check=True
    )
    flags = json.loads(out.stdout.strip().splitlines()[-1])
    if flags["debug"] or flags["testing"] or flags["auto_reload"]:
        raise SystemExit(f"{which}: not a production app: {flags}")
    if which == "mk" and not flags["trusted_hosts"]:
        raise SystemExit(f"{which}: trusted hosts are not set: {flags}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, app_spec: str, env: dict[str, str], port: int, args: Any):
        self.name, self.port = name, port
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed in stop())
            prefix=f"mk-bench-{name}-", suffix=".log", delete=False
        )
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        cmd = [
            gunicorn,
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(HERE),
            "--log-level",
            "warning",
            app_spec,
        ]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
                raise SystemExit(f"{self.name}: GET {path} answered {resp.status}\n{self.tail()}")
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{self.name}: gunicorn did not start\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)  # a failure printed its tail already


# ---------------------------------------------------------------------------
# load generator
# ---------------------------------------------------------------------------


def load(
    port: int, paths: list[str], threads: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """``threads`` clients, each one connection, requesting ``paths`` in turn."""
    start = time.perf_counter()
    record_from = start + warmup
    end = record_from + seconds
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    statuses: list[dict[int, int]] = [{} for _ in range(threads)]

    def client(i: int) -> None:
        conn: http.client.HTTPConnection | None = None
        k = i * 7919
        headers = {"Accept-Language": "en", "Connection": "keep-alive"}
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            path = paths[k % len(paths)]
            k += 1
            ok = False
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                status = resp.status
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = 0
                if conn is not None:
                    conn.close()
                conn = None
            t1 = time.perf_counter()
            if record_from <= t0 and t1 <= end:
                latencies[i].append(t1 - t0)
                if not ok:
                    errors[i] += 1
                    statuses[i][status] = statuses[i].get(status, 0) + 1
        if conn is not None:
            conn.close()

    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    lat = sorted(x for per in latencies for x in per)
    bad: dict[int, int] = {}
    for per in statuses:
        for s, n in per.items():
            bad[s] = bad.get(s, 0) + n
    return {
        "requests": len(lat),
        "errors": sum(errors),
        "error_statuses": bad,
        "rps": len(lat) / seconds,
        "p50_ms": statistics.median(lat) * 1000 if lat else math.nan,
        "p95_ms": lat[min(len(lat) - 1, math.ceil(0.95 * len(lat)) - 1)] * 1000
        if lat
        else math.nan,
    }


def measure(servers: dict[str, Server], args: Any, page_list: list) -> dict[str, dict]:
    """Per page, ``args.rounds`` rounds of each app in turn (both are up; an idle sync
    worker costs nothing), the order flipped every round, so both see the same background
    load on a shared machine: the ratio of each round is taken from back-to-back runs,
    and the page's figures are the median round's."""
    out: dict[str, dict[str, Any]] = {name: {} for name in servers}
    names = list(servers)
    for label, paths in page_list:
        rounds: list[tuple[float, dict[str, dict[str, Any]]]] = []  # (ratio, per app)
        for i in range(args.rounds):
            this: dict[str, dict[str, Any]] = {}
            for name in names if i % 2 == 0 else names[::-1]:
                r = this[name] = load(
                    servers[name].port, paths, args.threads, args.warmup, args.seconds
                )
                print(
                    f"# {name:>4}  {label:<34} {r['rps']:7.1f} rps  p50 {r['p50_ms']:6.1f} ms"
                    f"  p95 {r['p95_ms']:6.1f} ms  errors {r['errors']} "
                    f"{r['error_statuses'] or ''}",
                    file=sys.stderr,
                )
            bare_rps = this["bare"]["rps"]
            rounds.append((this["mk"]["rps"] / bare_rps if bare_rps else 0.0, this))
        rounds.sort(key=lambda r: r[0])
        median = rounds[len(rounds) // 2][1]
        for name in names:
            out[name][label] = {
                **median[name],
                "errors": sum(r[name]["errors"] for _, r in rounds),
                "rounds_rps": [round(r[name]["rps"], 1) for _, r in rounds],
            }
        out.setdefault("ratios", {})[label] = [round(ratio, 2) for ratio, _ in rounds]
    return out


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="listings to generate")
    parser.add_argument("--pg-url", help="measure on this PostgreSQL database (re-created)")
    parser.add_argument("--sqlite-dir", default=tempfile.gettempdir())
    parser.add_argument("--reuse-db", action="store_true", help="reuse data built by a former run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds, not recorded")
    parser.add_argument("--seconds", type=float, default=10.0, help="recorded seconds per run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each app per page (the median counts)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures to this file")
    args = parser.parse_args()
    for var in ("DATABASE_URL", "MARKETPLACE_CONFIG", "MARKETPLACE_DEBUG", "MARKETPLACE_BASE_URL"):
        os.environ.pop(var, None)

    if args.pg_url:
        url = args.pg_url
        state_file = Path(args.sqlite_dir) / f"mk-bench-site-pg-{args.size}.json"
    else:
        db_path = Path(args.sqlite_dir) / f"mk-bench-site-{args.size}.sqlite3"
        url = f"sqlite:///{db_path}"
        state_file = db_path.with_suffix(".json")
        if not (args.reuse_db and state_file.exists() and db_path.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
    data = prepare_data(url, args.size, state_file, args.reuse_db)
    page_list = pages(data)

    workdir = Path(tempfile.mkdtemp(prefix="mk-bench-site-"))
    port, bare_port = _free_port(), _free_port()
    mk_env = {
        **os.environ,
        "MARKETPLACE_CONFIG": str(mk_config(workdir, url, port)),
        "SECRET_KEY": secrets.token_hex(32),
    }
    bare_env = {**os.environ, "BARE_DATABASE_URL": url}
    check_production(mk_env, "mk")
    check_production(bare_env, "bare")
    servers = {
        "mk": Server("mk", "marketplace_kit:create_app()", mk_env, port, args),
        "bare": Server("bare", "site_bare:create_app()", bare_env, bare_port, args),
    }
    try:
        for server in servers.values():
            server.wait_ready("/listings/")
        results = measure(servers, args, page_list)
    finally:
        for server in servers.values():
            server.stop()
    shutil.rmtree(workdir, ignore_errors=True)

    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    rows = []
    for label, _paths in page_list:
        mk, bare = results["mk"][label], results["bare"][label]
        ratio = mk["rps"] / bare["rps"] if bare["rps"] else math.nan
        rows.append(
            {
                "database": database,
                "listings": args.size,
                "page": label,
                "mk rps": round(mk["rps"], 1),
                "mk p50 ms": round(mk["p50_ms"], 1),
                "mk p95 ms": round(mk["p95_ms"], 1),
                "bare rps": round(bare["rps"], 1),
                "bare p50 ms": round(bare["p50_ms"], 1),
                "bare p95 ms": round(bare["p95_ms"], 1),
                "ratio": round(ratio, 2),
                "rounds": " ".join(f"{x:.2f}" for x in results["ratios"][label]),
                "target met": ratio >= TARGET,
                "errors": mk["errors"] + bare["errors"],
            }
        )
    header = list(rows[0])
    cells = [[_cell(r[h]) for h in header] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    print(
        f"# {args.workers} gunicorn {args.worker_class} workers per app, {args.threads} client "
        f"threads, {args.rounds} rounds of {args.warmup:g}s warm-up + {args.seconds:g}s per app "
        f"and page (median round); target ratio >= {TARGET}"
    )
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for c in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    if args.json:
        meta = {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "warmup_s": args.warmup,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "target_ratio": TARGET,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"settings": meta, "rows": rows, "raw": results}, fh, indent=2)
    if any(r["errors"] for r in rows):
        sys.exit("some requests failed (see the errors column)")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


if __name__ == "__main__":
    main()
