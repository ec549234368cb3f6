"""``marketplace-kit demo``: a fresh database with realistic data, for trying the site.

The core seeds its own data (an operator and some users); every later area
adds its part here, and each plugin adds its own through ``mk_seed_demo``.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from typing import Any

from flask import Flask

from .config import read_source
from .plugins import available_plugins

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed on purpose: demo logins


def demo_plugins() -> list[str]:
    """Every installed plugin except those whose module sets ``MK_DEMO = False``."""
    names = []
    for name, info in available_plugins().items():
        module = importlib.import_module(info.value.split(":")[0])
        if getattr(module, "MK_DEMO", True):
            names.append(name)
    return names


def demo_config(config: str | None) -> dict[str, Any]:
    if config:
        _source, raw = read_source(config)
    else:
        raw = {
            "site": {
                "name": "Everyone's Market",
                "tagline": "Tasks, group deals, home services and more: one demo marketplace.",
                "currency": "USD",
            },
            "plugins": {"enabled": demo_plugins()},
        }
    raw.setdefault("app", {})["demo"] = True
    raw["app"].setdefault("instance_path", tempfile.mkdtemp(prefix="marketplace-demo-"))
    return raw


#: (label, email, name, kind, roles, locale, verification level, business details)
DEMO_PEOPLE: list[tuple[str, str, str, str, list[str], str, int, dict[str, str]]] = [
    ("operator", "admin@demo.example", "Ada Operator", "individual", ["admin"], "en", 0, {}),
    (
        "moderator",
        "moderator@demo.example",
        "Мария Модератор",
        "individual",
        ["moderator"],
        "ru",
        0,
        {},
    ),
    ("support", "support@demo.example", "刘支持", "individual", ["support"], "zh_Hans", 0, {}),
    (
        "provider",
        "provider@demo.example",
        "Bright Clean Ltd",
        "business",
        [],
        "en",
        2,
        {
            "company_name": "Bright Clean Ltd",
            "registration_number": "GB-10473821",
            "industry": "Home cleaning",
            "contact_phone": "+44 20 7946 0018",
            "address": "12 Market Street, London",
            "service_area": "Greater London",
        },
    ),
    (
        "provider",
        "shifu@demo.example",
        "王师傅维修",
        "business",
        [],
        "zh_Hans",
        1,
        {
            "company_name": "王师傅家电维修有限公司",
            "registration_number": "91310000MA1K",
            "industry": "家电维修",
            "contact_phone": "+86 21 5555 0199",
            "address": "上海市徐汇区漕溪北路 88 号",
            "service_area": "上海市",
        },
    ),
    ("provider", "master@demo.example", "Иван Мастер", "individual", [], "ru", 1, {}),
    (
        "provider",
        "designer@demo.example",
        "Lena Design Studio",
        "business",
        [],
        "en",
        0,
        {
            "company_name": "Lena Design Studio",
            "industry": "Graphic design",
            "service_area": "Remote",
        },
    ),
    ("customer", "customer@demo.example", "Chen Wei", "individual", [], "zh_Hans", 0, {}),
    ("customer", "olga@demo.example", "Ольга Смирнова", "individual", [], "ru", 0, {}),
    ("customer", "sam@demo.example", "Sam Taylor", "individual", [], "en", 0, {}),
]

DEMO_BIOS = {
    "en": "Happy to help: ask me anything before you order.",
    "ru": "Работаю аккуратно и в срок. Пишите, отвечу быстро.",
    "zh_Hans": "认真负责，准时上门。欢迎咨询。",  # noqa: RUF001
}


def seed_core(app: Flask, seed: int) -> list[tuple[str, str, str]]:
    from .core.db import utcnow
    from .core.users.models import VerificationRequest
    from .core.users.passwords import hash_password
    from .core.users.service import create_user
    from .events import commit
    from .extensions import db

    pw = hash_password(DEMO_PASSWORD)
    logins = []
    users = {}
    for label, email, name, kind, roles, locale, _level, business in DEMO_PEOPLE:
        user = create_user(
            email, name, password_hash=pw, account_type=kind, roles=roles, locale=locale
        )
        user.email_confirmed_at = utcnow()
        user.password_changed_at = utcnow()
        user.bio = DEMO_BIOS[locale] if label == "provider" else ""
        for key, value in business.items():
            setattr(user, key, value)
        users[email] = user
        logins.append((label, email, DEMO_PASSWORD))
    db.session.flush()
    reviewer = users["moderator@demo.example"]
    for _label, email, name, _kind, _roles, _locale, level, business in DEMO_PEOPLE:
        user = users[email]
        if level >= 1:
            db.session.add(
                VerificationRequest(
                    user_id=user.id,
                    kind="identity",
                    level=1,
                    status="approved",
                    data={"full_name": name, "date_of_birth": "1985-05-05"},
                    documents={},
                    reviewer_id=reviewer.id,
                    decided_at=utcnow(),
                )
            )
        if level >= 2:
            db.session.add(
                VerificationRequest(
                    user_id=user.id,
                    kind="business",
                    level=2,
                    status="approved",
                    data={
                        "legal_name": business["company_name"],
                        "registration_number": business["registration_number"],
                    },
                    documents={},
                    reviewer_id=reviewer.id,
                    decided_at=utcnow(),
                )
            )
        user.verification_level = level
    # one request waiting in the operators' queue
    designer = users["designer@demo.example"]
    db.session.add(
        VerificationRequest(
            user_id=designer.id,
            kind="identity",
            level=1,
            status="pending",
            data={"full_name": "Lena Novak", "date_of_birth": "1992-03-14"},
            documents={},
        )
    )
    commit()
    return logins


def seed_orders(app: Flask, seed: int) -> None:
    """Orders in several states, a funded wallet and a conversation, for the demo logins."""
    from sqlalchemy import select

    from .core.ledger import service as ledger
    from .core.listings.models import Listing
    from .core.orders import engine
    from .core.users.models import User
    from .events import commit
    from .extensions import db
    from .money import Money

    customer = db.session.scalars(select(User).where(User.email == "customer@demo.example")).first()
    provider = db.session.scalars(select(User).where(User.email == "provider@demo.example")).first()
    if customer is None or provider is None:
        return
    currency = state_currency(app)
    listing = db.session.scalars(
        select(Listing).where(Listing.author_id == provider.id, Listing.status == "published")
    ).first()
    if listing is None:
        listing = Listing(
            author_id=provider.id,
            listing_type="product",
            title="Eco cleaning kit",
            description="Plant-based cleaners for a whole flat. 环保清洁套装。Эко-набор для уборки.",
            price_amount=2490,
            currency=currency,
            status="published",
            quantity=40,
        )
        db.session.add(listing)
        commit()
    clearing = ledger.account("clearing", "sandbox", currency)
    wallet = ledger.account("wallet", customer, currency)
    ledger.transfer("deposit", clearing, wallet, Money(50000, currency), memo="demo top-up")
    commit()
    done = engine.place_order(None, customer=customer, listing=listing, quantity=2)
    engine.transition(done, "pay_from_wallet", customer)
    engine.transition(done, "mark_delivered", provider, {"message": "Delivered to the front desk."})
    engine.transition(done, "accept", customer, {"message": "Thank you, all good!"})
    commit()
    waiting = engine.place_order(None, customer=customer, listing=listing)
    engine.transition(waiting, "pay_from_wallet", customer)
    commit()
    chat = engine.place_order(
        "inquiry",
        customer=customer,
        listing=listing,
        params={"message": "Is the kit safe for pets?"},
    )
    reply = "是的，对宠物安全。Да, безопасно для животных."  # noqa: RUF001 - Chinese punctuation
    engine.transition(chat, "reply", provider, {"message": reply})
    commit()


def seed_notifications(app: Flask, seed: int) -> None:
    """A few notifications in the demo users' centres (one already read)."""
    from sqlalchemy import select

    from .core.db import utcnow
    from .core.notifications import service
    from .core.notifications.events import PAYOUT_PAID, VERIFICATION_DECIDED
    from .core.users.models import User
    from .events import commit
    from .extensions import db

    people = {
        u.email: u
        for u in db.session.scalars(
            select(User).where(User.email.in_(["customer@demo.example", "provider@demo.example"]))
        )
    }
    customer = people.get("customer@demo.example")
    provider = people.get("provider@demo.example")
    if customer is None or provider is None:
        return
    first = service.notify(
        customer,
        VERIFICATION_DECIDED,
        {"status": "approved", "level": 1},
        url="/account/verification",
    )
    first.read_at = utcnow()
    service.notify(
        provider,
        VERIFICATION_DECIDED,
        {"status": "rejected", "reason": "营业执照照片不清晰 / Фото лицензии нечёткое."},
        url="/account/verification",
    )
    service.notify(
        provider,
        PAYOUT_PAID,
        {"payout_id": 1, "status": "paid", "amount": 12000, "currency": state_currency(app)},
        url="/wallet",
    )
    commit()


def state_currency(app: Flask) -> str:
    from .app import state

    return state(app).settings.site["currency"]


def seed_messages(app: Flask, seed: int) -> None:
    """A few conversations in en / zh / ru: listing inquiries and one about an order."""
    from sqlalchemy import select

    from .core.listings.models import Listing
    from .core.messaging import service as messaging
    from .core.orders.models import Order
    from .core.users.models import User
    from .events import commit
    from .extensions import db

    def person(email: str) -> User | None:
        return db.session.scalars(select(User).where(User.email == email)).first()

    def listing_of(user: User | None) -> Listing | None:
        if user is None:
            return None
        return db.session.scalars(
            select(Listing)
            .where(Listing.author_id == user.id, Listing.status == "published")
            .order_by(Listing.id)
        ).first()

    threads = [
        (
            "sam@demo.example",
            "provider@demo.example",
            [
                "Hi! Do you also clean windows on the outside?",
                "We do, up to the third floor. Just add it as a note when you order.",
            ],
        ),
        (
            "customer@demo.example",
            "shifu@demo.example",
            ["师傅您好，周六上午有空吗？", "周六上午九点可以，我会带齐工具。"],  # noqa: RUF001
        ),
        (
            "olga@demo.example",
            "master@demo.example",
            ["Здравствуйте! Сможете прийти в среду вечером?", "Да, в среду после 18:00 удобно."],
        ),
    ]
    for starter_email, provider_email, lines in threads:
        starter, provider = person(starter_email), person(provider_email)
        listing = listing_of(provider)
        if starter is None or provider is None or listing is None:
            continue
        conversation, _m = messaging.start_conversation(starter, listing=listing, body=lines[0])
        for i, text in enumerate(lines[1:]):
            messaging.send_message(conversation, provider if i % 2 == 0 else starter, text)
        commit()
    customer, provider = person("customer@demo.example"), person("provider@demo.example")
    if customer is None or provider is None:
        return
    order = db.session.scalars(
        select(Order)
        .where(Order.customer_id == customer.id, Order.provider_id == provider.id)
        .where(Order.state == "paid")
    ).first()
    if order is not None:
        conversation, _m = messaging.start_conversation(
            customer,
            order=order,
            body="请在下午三点以后送货，谢谢。",  # noqa: RUF001
        )
        messaging.send_message(conversation, provider, "Sure, we will deliver after 3 pm.")
        commit()


def seed_console(app: Flask, seed: int) -> None:
    """Something in every console queue: a pending listing, an open dispute, a payout
    request and a bank transfer to confirm; plus a few audited operator actions."""
    from sqlalchemy import select

    from .core.console import service as console
    from .core.ledger import service as ledger
    from .core.listings.models import Listing
    from .core.orders import engine
    from .core.payments import payouts
    from .core.payments.service import start_payment
    from .core.users.models import User
    from .events import commit
    from .extensions import db
    from .money import Money

    def person(email: str) -> User | None:
        return db.session.scalars(select(User).where(User.email == email)).first()

    admin, support = person("admin@demo.example"), person("support@demo.example")
    customer, provider = person("customer@demo.example"), person("provider@demo.example")
    buyer = person("sam@demo.example")
    if None in (admin, support, customer, provider, buyer):
        return
    currency = state_currency(app)
    listing = db.session.scalars(
        select(Listing).where(Listing.author_id == provider.id, Listing.status == "published")
    ).first()
    if listing is None:
        return
    pending = Listing(
        author_id=provider.id,
        listing_type=listing.listing_type,
        title="Deep-clean starter pack (waiting for approval)",
        description="A new kit the moderators have not approved yet.",
        price_amount=3990,
        currency=currency,
        status="pending",
        quantity=10,
    )
    db.session.add(pending)
    clearing = ledger.account("clearing", "sandbox", currency)
    ledger.transfer(
        "deposit", clearing, ledger.account("wallet", buyer, currency), Money(20000, currency)
    )
    ledger.transfer(
        "deposit", clearing, ledger.account("wallet", provider, currency), Money(8000, currency)
    )
    commit()
    disputed = engine.place_order(None, customer=buyer, listing=listing)
    engine.transition(disputed, "pay_from_wallet", buyer)
    engine.transition(
        disputed, "open_dispute", buyer, {"reason": "Two of the bottles arrived empty."}
    )
    commit()
    payouts.request_payout(provider, 5000, currency)
    transfer = engine.place_order(None, customer=customer, listing=listing)
    commit()
    start_payment(transfer, customer, "manual", {})
    commit()
    from .core.orders import outbox

    outbox.deliver()  # the worker's job: the bank transfer gets its reference (pending)
    from .core.disputes.service import dispute_of

    console.assign(support, "disputes", dispute_of(disputed).id, support)
    console.assign(admin, "listings", pending.id, admin)
    commit()


def seed_reports(app: Flask, seed: int) -> None:
    """Open reports in the moderators' queue (one target reported twice) and a decided one."""
    from sqlalchemy import select

    from .core.listings.models import Listing
    from .core.moderation import service as moderation
    from .core.users.models import User
    from .events import commit
    from .extensions import db

    people = {
        u.email: u
        for u in db.session.scalars(select(User).where(User.email.like("%@demo.example")))
    }
    customer = people.get("customer@demo.example")
    sam = people.get("sam@demo.example")
    olga = people.get("olga@demo.example")
    moderator = people.get("moderator@demo.example")
    if None in (customer, sam, olga, moderator):
        return
    reporters = {customer.id, sam.id, olga.id}
    targets = list(
        db.session.scalars(
            select(Listing)
            .where(Listing.status == "published", Listing.author_id.not_in(reporters))
            .order_by(Listing.id)
            .limit(2)
        )
    )
    if len(targets) < 2:
        return
    duplicate, counterfeit = targets
    moderation.create_report(
        customer, "listing", duplicate.id, "spam", "The same offer is posted three times."
    )
    moderation.create_report(sam, "listing", duplicate.id, "spam", "")
    moderation.create_report(
        olga,
        "user",
        counterfeit.author_id,
        "harassment",
        "Грубые сообщения после отказа от заказа.",
    )
    moderation.create_report(
        customer, "listing", counterfeit.id, "counterfeit", "看起来是仿冒品牌。"
    )
    commit()
    moderation.assign(moderator, "listing", counterfeit.id, moderator.id)
    moderation.decide(
        moderator,
        "listing",
        counterfeit.id,
        "hide",
        "Brand names may only be used by authorised sellers; edit the listing and ask us "
        "to restore it.",
    )
    commit()


#: (stars, text) a customer gives a provider and (stars, text) the provider gives back.
DEMO_REVIEWS = [
    (
        (5, "Arrived early and everything was spotless. Would book again."),
        (5, "Clear instructions, paid at once."),
    ),
    ((4, "很好，准时到达，沟通顺畅。"), (5, "非常友好的客户，谢谢！")),  # noqa: RUF001
    ((5, "Всё отлично, рекомендую."), (4, "Спасибо, приятно было работать.")),
    ((3, "Good work, but 40 minutes late."), (5, "Friendly and flexible.")),
]


def seed_reviews(app: Flask, seed: int) -> None:
    """Completed orders with published two-way reviews (and a reply), one blind review,
    and every user's reputation computed, so profiles, cards and search show ratings."""
    import random

    from sqlalchemy import select

    from .core.db import utcnow
    from .core.ledger import service as ledger
    from .core.listings.models import Listing
    from .core.orders import engine
    from .core.orders.models import Order
    from .core.trust import service as trust
    from .core.trust.reputation import recompute
    from .core.users.models import User
    from .events import commit
    from .extensions import db
    from .money import Money

    rng = random.Random(seed)
    currency = state_currency(app)
    emails = ("customer@demo.example", "olga@demo.example", "sam@demo.example")
    customers = [
        u for u in db.session.scalars(select(User).where(User.email.in_(emails))) if u is not None
    ]
    if not customers:
        return
    clearing = ledger.account("clearing", "sandbox", currency)
    for customer in customers:
        wallet = ledger.account("wallet", customer, currency)
        ledger.transfer("deposit", clearing, wallet, Money(200_000, currency), memo="demo top-up")
    commit()
    customer_ids = {c.id for c in customers}
    listings = [
        x
        for x in db.session.scalars(
            select(Listing)
            .where(
                Listing.status == "published",
                Listing.listing_type.in_(("product", "service")),
                Listing.currency == currency,
                Listing.price_amount <= 50_000,
                (Listing.quantity.is_(None)) | (Listing.quantity >= 5),
            )
            .order_by(Listing.id)
        )
        if x.author_id not in customer_ids
    ]
    seen: set[int] = set()
    providers = []
    for listing in listings:
        if listing.author_id not in seen:
            seen.add(listing.author_id)
            providers.append(listing)
    for n, listing in enumerate(providers[:6]):
        for k in range(1 + n % 3):
            customer = customers[(n + k) % len(customers)]
            order = engine.place_order("purchase", customer=customer, listing=listing)
            engine.transition(order, "pay_from_wallet", customer)
            engine.transition(order, "mark_delivered", listing.author)
            engine.transition(order, "accept", customer)
            commit()
            (c_stars, c_text), (p_stars, p_text) = DEMO_REVIEWS[(n + k) % len(DEMO_REVIEWS)]
            c_stars = max(1, min(5, c_stars - (1 if rng.random() < 0.15 else 0)))
            review = trust.submit_review(order, customer, c_stars, c_text)
            trust.submit_review(order, listing.author, p_stars, p_text)
            commit()
            if c_stars <= 3:
                trust.reply_to(review, listing.author, "Sorry about that: the traffic was bad.")
                commit()
    # A blind review: the customer reviewed their completed order, the provider has not yet.
    done = db.session.scalars(
        select(Order)
        .join(User, User.id == Order.customer_id)
        .where(User.email == "customer@demo.example", Order.state == "completed")
        .order_by(Order.id)
    ).first()
    if done is not None and trust.review_of(done, "customer") is None:
        text = "清洁套装很好用，推荐！"  # noqa: RUF001 - Chinese punctuation
        trust.submit_review(done, done.customer, 5, text, now=utcnow())
        commit()
    for user_id in db.session.scalars(select(User.id).where(User.deleted_at.is_(None))):
        recompute(user_id)
    commit()


def build_demo(
    config: str | None, *, database_url: str | None, seed: int, port: int, host: str
) -> tuple[Flask, list[tuple[str, str, str]]]:
    from . import migrations
    from .app import create_app, state

    raw = demo_config(config)
    raw["site"] = {**raw.get("site", {}), "base_url": f"http://{host}:{port}"}
    # The demo never touches the database DATABASE_URL may point at: only --database.
    raw.setdefault("database", {})["url"] = database_url or "sqlite:///" + os.path.join(
        raw["app"]["instance_path"], "demo.sqlite3"
    )
    saved = os.environ.pop("DATABASE_URL", None)
    try:
        app = create_app(raw)
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    with app.app_context():
        migrations.upgrade()
        logins = seed_core(app, seed)
        from .demo_listings import seed_listings

        seed_listings(app, seed)
        seed_orders(app, seed)
        seed_notifications(app, seed)
        seed_messages(app, seed)
        seed_console(app, seed)
        seed_reports(app, seed)
        seed_reviews(app, seed)
        state(app).pm.hook.mk_seed_demo(app=app, seed=seed)
    return app, logins
