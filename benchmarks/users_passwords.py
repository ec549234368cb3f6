"""Print how long password hashing, verification and the password policy take.

Run: ``.venv/bin/python benchmarks/users_passwords.py``. argon2id parameters
are in ``marketplace_kit/core/users/passwords.py`` (t=3, m=64 MiB, p=4).
"""

from __future__ import annotations

import statistics
import time

from marketplace_kit.core.users.passwords import hash_password, verify_password
from marketplace_kit.core.users.policy import password_problems

PASSWORD = "violet tangerine orbit"  # noqa: S105 - a benchmark input


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    stored = hash_password(PASSWORD)
    rows = {
        "argon2id hash": timed(lambda: hash_password(PASSWORD), 10),
        "argon2id verify (match)": timed(lambda: verify_password(stored, PASSWORD), 10),
        "argon2id verify (mismatch)": timed(lambda: verify_password(stored, "wrong"), 10),
        "password policy check": timed(lambda: password_problems("Violet-Tangerine-99"), 1000),
    }
    for name, values in rows.items():
        print(
            f"{name:<28} median {statistics.median(values):8.3f} ms"
            f"  max {max(values):8.3f} ms  (n={len(values)})"
        )


if __name__ == "__main__":
    main()
