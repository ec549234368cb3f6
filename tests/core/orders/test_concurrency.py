"""Nothing oversells and no balance is spent twice, under real concurrent transactions.

Each worker thread has its own app context, session and database connection.
The naive read-then-write purchase is here to prove the test can see the bug.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.service import InsufficientFunds
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.actions import SoldOut
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.users.models import User
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

BUYERS = 50
STOCK = 7

pytestmark = pytest.mark.mk_config({"database": {"pool_size": 20}, "fees": {"rules": []}})


def run_parallel(app, fn, args_list):
    barrier = threading.Barrier(len(args_list))

    def worker(args):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                return fn(*args)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        return list(pool.map(worker, args_list))


def buy_and_pay(listing_id: int, customer_id: int) -> str:
    customer = db.session.get(User, customer_id)
    listing = db.session.get(Listing, listing_id)
    try:
        order = engine.place_order("purchase", customer=customer, listing=listing)
        engine.transition(order, "pay_from_wallet", customer)
        commit()
    except SoldOut:
        return "sold out"
    except InsufficientFunds:
        return "insufficient funds"
    return "ok"


def test_fifty_buyers_seven_in_stock_exactly_seven_succeed(
    app, user_factory, listing_factory, fund_wallet
):
    listing = listing_factory(price_amount=1500, quantity=STOCK)
    buyers = [user_factory() for _ in range(BUYERS)]
    for buyer in buyers:
        fund_wallet(buyer, 1500)
    results = run_parallel(app, buy_and_pay, [(listing.id, b.id) for b in buyers])
    assert results.count("ok") == STOCK
    assert results.count("sold out") == BUYERS - STOCK
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).quantity == 0
    paid = db.session.scalars(sa.select(Order).where(Order.state == "paid")).all()
    assert len(paid) == STOCK
    assert sum(ledger.balance_of("escrow", o, "USD").amount for o in paid) == STOCK * 1500
    assert ledger.verify() == []


def test_one_wallet_cannot_be_spent_twice(app, user_factory, listing_factory, fund_wallet):
    listing = listing_factory(price_amount=3000, quantity=100)
    customer = user_factory()
    fund_wallet(customer, 10000)  # enough for three
    results = run_parallel(app, buy_and_pay, [(listing.id, customer.id)] * 20)
    assert results.count("ok") == 3
    assert results.count("insufficient funds") == 17
    assert ledger.balance_of("wallet", customer, "USD") == Money(1000, "USD")
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).quantity == 97  # failed purchases took no stock
    assert ledger.verify() == []


def naive_buy(listing_id: int, customer_id: int) -> str:
    """The bug we guard against: read stock, decide, write it back, with no lock."""
    stock = db.session.scalar(sa.select(Listing.quantity).where(Listing.id == listing_id))
    if stock < 1:
        return "sold out"
    time.sleep(0.02)  # a slow request between the read and the write
    db.session.execute(
        sa.update(Listing).where(Listing.id == listing_id).values(quantity=stock - 1)
    )
    db.session.commit()
    return "ok"


@pytest.mark.postgres_only("needs concurrent writers to show the lost update")
def test_the_naive_read_then_write_purchase_does_oversell(app, user_factory, listing_factory):
    listing = listing_factory(quantity=STOCK)
    buyer = user_factory()
    results = run_parallel(app, naive_buy, [(listing.id, buyer.id)] * BUYERS)
    assert results.count("ok") > STOCK  # oversold: the detector works


def book_the_hour(listing_id: int, customer_id: int, start_iso: str, end_iso: str) -> str:
    from marketplace_kit.core.orders.actions import SlotTaken

    try:
        engine.place_order(
            "booking",
            customer=db.session.get(User, customer_id),
            listing=db.session.get(Listing, listing_id),
            params={"start": start_iso, "end": end_iso},
        )
        commit()
    except SlotTaken:
        return "taken"
    return "ok"


def test_twenty_customers_race_for_one_hour_exactly_one_books_it(
    app, user_factory, listing_factory
):
    from datetime import timedelta

    from marketplace_kit.core.db import utcnow

    listing = listing_factory(price_amount=4000)
    start = utcnow() + timedelta(days=2)
    period = (start.isoformat(), (start + timedelta(hours=1)).isoformat())
    customers = [user_factory() for _ in range(20)]
    results = run_parallel(app, book_the_hour, [(listing.id, c.id, *period) for c in customers])
    assert results.count("ok") == 1 and results.count("taken") == 19
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
