"""``Idempotency-Key`` for money-moving requests: a repeat returns the first result.

:func:`run_once` runs ``work()`` (which changes data but does not commit),
stores its response under ``(user, scope, key)`` in the same transaction and
commits. A repeat with the same key returns the stored response without
running ``work`` again; the same key with a different request body is a 422.
Two concurrent requests with one key: the second fails on the unique key,
rolls its work back, and returns the first's stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...errors import Conflict, ValidationError
from ...events import commit
from ...extensions import db
from .models import IdempotencyKey

MAX_KEY = 200


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _stored(user_id: int, scope: str, key: str) -> IdempotencyKey | None:
    return db.session.scalars(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    ).first()


def _replay(row: IdempotencyKey, print_: str) -> tuple[int, dict[str, Any], bool]:
    if row.fingerprint != print_:
        raise ValidationError(
            "This Idempotency-Key was used with a different request.",
            errors={"Idempotency-Key": ["Already used with a different request body."]},
        )
    return row.status_code, dict(row.response), True


def run_once(
    user_id: int,
    scope: str,
    key: str | None,
    payload: Any,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Return ``(status, body, replayed)``; without a key, just run ``work`` and commit."""
    if key is None:
        status, body = work()
        commit()
        return status, body, False
    if not key or len(key) > MAX_KEY:
        raise ValidationError(errors={"Idempotency-Key": [f"1 to {MAX_KEY} characters."]})
    print_ = fingerprint(payload)
    row = _stored(user_id, scope, key)
    if row is not None:
        return _replay(row, print_)
    status, body = work()
    db.session.add(
        IdempotencyKey(
            user_id=user_id,
            scope=scope,
            key=key,
            fingerprint=print_,
            status_code=status,
            response=body,
        )
    )
    try:
        commit()
    except IntegrityError:
        db.session.rollback()
        row = _stored(user_id, scope, key)
        if row is None:
            raise Conflict("A request with this Idempotency-Key is in progress; retry.") from None
        return _replay(row, print_)
    return status, body, False
