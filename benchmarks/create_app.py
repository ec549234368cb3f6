"""Time ``create_app``: the core alone, and with every installed plugin enabled.

Each sample runs in a fresh interpreter (imports are part of start-up cost
for a gunicorn worker), and the app is built twice per process to show the
warm figure as well. Prints median, p90 and min in milliseconds.

    .venv/bin/python benchmarks/create_app.py --runs 15 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time, tempfile
t0 = time.perf_counter()
from marketplace_kit import create_app
t1 = time.perf_counter()
plugins = json.loads(sys.argv[1])
tmp = tempfile.mkdtemp()
config = {"app": {"debug": True, "instance_path": tmp}, "plugins": {"enabled": plugins},
          "database": {"url": f"sqlite:///{tmp}/b.sqlite3"}}
create_app(config)
t2 = time.perf_counter()
create_app(config)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "cold": t2 - t1, "warm": t3 - t2}))
"""


def demo_plugins() -> list[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from marketplace_kit.demo import demo_plugins; print(json.dumps(demo_plugins()))",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def measure(plugins: list[str], runs: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[float]] = {"import": [], "cold": [], "warm": []}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(plugins)],
            check=True,
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
        )
        for key, value in json.loads(out.stdout.strip().splitlines()[-1]).items():
            samples[key].append(value * 1000)
    return {
        key: {
            "median_ms": round(statistics.median(v), 1),
            "p90_ms": round(sorted(v)[max(0, int(len(v) * 0.9) - 1)], 1),
            "min_ms": round(min(v), 1),
        }
        for key, v in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    every = demo_plugins()
    results = {
        "core only": measure([], args.runs),
        f"all in-repo plugins ({', '.join(every) or 'none installed'})": measure(every, args.runs),
    }
    print(f"create_app, {args.runs} fresh processes each (ms)")
    print(f"{'configuration':<50} {'phase':<7} {'median':>8} {'p90':>8} {'min':>8}")
    for name, phases in results.items():
        for phase, fig in phases.items():
            print(
                f"{name:<50} {phase:<7} {fig['median_ms']:>8} {fig['p90_ms']:>8} {fig['min_ms']:>8}"
            )
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
