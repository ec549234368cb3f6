"""``clock_at`` moves the core's one clock for a block, and only for that block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace_kit.core.db import clock_at, utcnow


def test_clock_at_moves_utcnow_and_column_defaults(app, user_factory):
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.events import commit

    past = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    with clock_at(past):
        assert abs(utcnow() - past) < timedelta(seconds=2)
        user = create_user("past@example.com", "Past")
        commit()
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=2)
    assert abs(user.created_at - past) < timedelta(seconds=2)
    assert user_factory().created_at > past + timedelta(days=365)


def test_clock_at_is_restored_after_an_error_and_refuses_naive_times():
    with pytest.raises(RuntimeError), clock_at(datetime(2020, 1, 1, tzinfo=UTC)):
        raise RuntimeError
    assert utcnow().year >= 2025
    with pytest.raises(ValueError), clock_at(datetime(2020, 1, 1)):
        pass
