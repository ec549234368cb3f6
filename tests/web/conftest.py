"""Fixtures shared by the console tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def console_world(user_factory, listing_factory, category_factory, fund_wallet, order_factory):
    """One item in every console queue, and an operator of every role.

    ``w.admin/moderator/finance/support`` (operators), ``w.member`` (a normal user),
    ``w.customer``/``w.provider``, ``w.verification`` (pending, with a document),
    ``w.pending_listing``, ``w.category``, ``w.dispute`` (on ``w.disputed_order``),
    ``w.payout`` (requested), ``w.payment`` (a pending bank transfer on ``w.order``),
    ``w.account`` (the customer's wallet), ``w.webhook``.
    """
    from marketplace_kit.core.notifications import webhooks
    from marketplace_kit.core.orders import engine
    from marketplace_kit.core.payments import payouts
    from marketplace_kit.core.payments.service import start_payment
    from marketplace_kit.core.users import verification as vsvc
    from marketplace_kit.events import commit

    w = SimpleNamespace()
    w.admin = user_factory(roles=["admin"], display_name="Ada Admin")
    w.moderator = user_factory(roles=["moderator"], display_name="Mo Moderator")
    w.finance = user_factory(roles=["finance"], display_name="Fin Finance")
    w.support = user_factory(roles=["support"], display_name="Sue Support")
    w.member = user_factory(display_name="Mem Member")
    w.customer = user_factory(display_name="Chen Wei", email="chen@example.com")
    w.provider = user_factory(display_name="Bright Clean Ltd", email="bright@example.com")

    w.verification = vsvc.submit(
        w.customer,
        "identity",
        {"full_name": "Chen Wei", "date_of_birth": "1990-01-02"},
        {"id_document": PNG},
    )
    commit()
    w.category = category_factory("garden", names={"en": "Garden"})
    w.pending_listing = listing_factory(author=w.provider, title="Pending teapot", status="pending")
    listing = listing_factory(author=w.provider, title="Oolong tea", price_amount=2000, quantity=9)

    fund_wallet(w.customer, 10000)
    w.disputed_order = order_factory(customer=w.customer, listing=listing)
    engine.transition(w.disputed_order, "pay_from_wallet", w.customer)
    engine.transition(
        w.disputed_order, "open_dispute", w.customer, {"reason": "It arrived broken."}
    )
    commit()
    from marketplace_kit.core.disputes.service import dispute_of

    w.dispute = dispute_of(w.disputed_order)

    fund_wallet(w.provider, 5000)
    w.payout = payouts.request_payout(w.provider, 2500, "USD")
    commit()

    w.order = order_factory(customer=w.customer, listing=listing)
    w.payment = start_payment(w.order, w.customer, "manual", {})
    commit()
    from marketplace_kit.core.ledger import service as ledger

    w.account = ledger.account("wallet", w.customer, "USD")
    w.webhook = webhooks.create_endpoint(w.admin, "http://127.0.0.1:9/hook", ["order_update"])
    commit()
    return w
