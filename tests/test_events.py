from __future__ import annotations

from marketplace_kit import hookimpl
from marketplace_kit.core.users.service import create_user
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


class Recorder:
    mk_plugin_name = "recorder"

    def __init__(self):
        self.seen: list[str] = []

    @hookimpl
    def mk_user_registered(self, user):
        # the object is usable after commit: attribute access reloads it
        self.seen.append(user.email)


def test_events_run_after_commit_and_never_after_rollback(app, register_plugin):
    rec = register_plugin(Recorder())
    create_user("a@example.com", "A")
    assert rec.seen == []  # not before commit
    commit()
    assert rec.seen == ["a@example.com"]
    create_user("b@example.com", "B")
    db.session.rollback()
    commit()
    assert rec.seen == ["a@example.com"]


def test_events_left_by_a_plain_commit_run_at_the_end_of_the_request(app, register_plugin):
    rec = register_plugin(Recorder())

    @app.post("/_make")
    def make():
        create_user("c@example.com", "C")
        db.session.commit()
        return "ok"

    assert app.test_client().submit("/_make").status_code == 200
    assert rec.seen == ["c@example.com"]
