"""Password and email rules, checked without any network access.

A password must have at least ``[users] min_password_length`` characters
(10 by default), at most 1024, must not be (a simple variation of) one of
the common passwords shipped in ``common_passwords.txt``, must not contain
the account's email name, and must use more than two distinct characters.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

MAX_PASSWORD_LENGTH = 1024
EMAIL_RE = re.compile(
    r"^[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_LEET = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "$": "s", "5": "s", "7": "t"}
)


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def _variants(password: str) -> set[str]:
    low = password.lower()
    stripped = re.sub(r"[\d\W_]+$", "", low)
    core = re.sub(r"^[\d\W_]+", "", stripped)
    out = {low, stripped, core, low.translate(_LEET), stripped.translate(_LEET)}
    return {v for v in out if v}


def password_problems(password: str, *, email: str = "", min_length: int = 10) -> list[str]:
    """Human-readable reasons ``password`` is refused; empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append(str(_l("Use at least %(n)s characters.", n=min_length)))
        return problems
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(str(_l("Use at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)))
        return problems
    if _variants(password) & common_passwords():
        problems.append(str(_l("This password is too common; choose another.")))
    elif len(set(password)) <= 2:
        problems.append(str(_l("This password is too simple; choose another.")))
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        problems.append(str(_l("Do not use your email address in the password.")))
    return problems


def valid_email(email: str) -> bool:
    return len(email) <= 320 and bool(EMAIL_RE.match(email.strip()))
