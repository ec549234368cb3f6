from marketplace_kit.testing import schema_differences


def test_migrations_agree_with_the_models(app_factory):
    app = app_factory(plugins=["crowdsourcing"], migrate=True)
    assert schema_differences(app) == []


def test_demo_data_has_tasks_in_each_state(app):
    """The demo's seed runs through the services and leaves a sound ledger."""
    from marketplace_kit_crowdsourcing.demo import seed_demo
    from marketplace_kit_crowdsourcing.models import Milestone, Task

    from marketplace_kit.core.ledger import service as ledger
    from marketplace_kit.demo import seed_core
    from marketplace_kit.extensions import db

    seed_core(app, 1)
    seed_demo(1)
    states = {(t.kind, t.state) for t in db.session.query(Task)}
    assert states >= {
        ("tender", "open"),
        ("tender", "awarded"),
        ("tender", "cancelled"),
        ("contest", "open"),
        ("contest", "awarded"),
    }
    assert {m.state for m in db.session.query(Milestone)} == {
        "released",
        "submitted",
        "funded",
        "planned",
    }
    assert ledger.verify() == []
