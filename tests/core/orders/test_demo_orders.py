from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders.models import Order
from marketplace_kit.demo import seed_core, seed_orders
from marketplace_kit.extensions import db


def test_demo_has_orders_in_several_states(app):
    seed_core(app, 1)
    seed_orders(app, 1)
    states = sorted(o.state for o in db.session.query(Order))
    assert states == ["completed", "open", "paid"]
    assert ledger.verify() == []
