"""`marketplace-kit demo` seeds deals with filled, tier-settled, failed and open groups."""

from __future__ import annotations

from sqlalchemy import func, select


def test_the_demo_has_open_filled_and_failed_groups(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    from marketplace_kit_group_buying.models import Group

    from marketplace_kit.core.ledger import service as ledger
    from marketplace_kit.demo import build_demo
    from marketplace_kit.extensions import db

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    app, _logins = build_demo(None, database_url=url, seed=1, port=5097, host="127.0.0.1")
    with app.app_context():
        statuses = dict(
            db.session.execute(select(Group.status, func.count()).group_by(Group.status)).all()
        )
        assert statuses == {"filled": 2, "failed": 1, "open": 2}
        assert ledger.verify() == []
        client = app.test_client()
        html = client.get("/group-buying/").get_data(as_text=True)
        assert "Lychees" in html and "Sourdough" in html
