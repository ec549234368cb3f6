"""Demo data: tasks in each state, through the same services the pages use."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.users.models import User
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

from . import service

CLIENTS = ("customer@demo.example", "olga@demo.example", "sam@demo.example")
PROVIDERS = ("designer@demo.example", "master@demo.example", "provider@demo.example")


def _user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email)).first()


def seed_demo(seed: int) -> None:
    clients = [u for u in map(_user, CLIENTS) if u is not None]
    providers = [u for u in map(_user, PROVIDERS) if u is not None]
    if len(clients) < 3 or len(providers) < 3:
        return
    now = utcnow()
    currency = service.listings.site_currency()
    for client in clients:
        ledger.transfer(
            "deposit",
            ledger.account("clearing", "sandbox", currency),
            ledger.account("wallet", client, currency),
            service.Money(500_000, currency),
            memo="demo top-up for crowdsourcing",
        )
    commit()
    chen, olga, sam = clients
    designer, master, provider = providers

    def tender(client, title, skills, high, **kw):
        return service.post_task(
            client,
            kind="tender",
            title=title,
            description=kw.pop("description", title + "."),
            deadline=now + timedelta(days=kw.pop("days", 10)),
            skills=skills,
            budget_min=high // 2,
            budget_max=high,
            **kw,
        )

    # Open tender with bids (one shortlisted).
    logo = tender(chen, "Logo for a tea shop", "logo, branding", 60_000)
    service.place_bid(logo, designer, amount=45_000, days=7, proposal="Three concepts, two rounds.")
    b2 = service.place_bid(logo, master, amount=55_000, days=5, proposal="Hand-drawn, fast.")
    service.shortlist_bid(b2, chen)
    # Sealed tender.
    tender(olga, "Translate a menu into Chinese", "translation, chinese", 20_000, sealed=True)
    commit()
    # Awarded tender with milestones: released, submitted, funded, planned.
    site = tender(sam, "Small shop website", "web, html, css", 300_000)
    won = service.place_bid(site, provider, amount=240_000, days=30, proposal="Static site.")
    service.place_bid(site, designer, amount=280_000, days=20, proposal="With a CMS.")
    award = service.award_bid(site, sam, won)
    commit()
    plan = [("Design", 80_000), ("Build", 100_000), ("Launch", 40_000), ("Support", 20_000)]
    milestones = [service.add_milestone(award, sam, title=t, amount=a) for t, a in plan]
    commit()
    for m in milestones[:3]:
        service.fund_milestone(m, sam)
        commit()
    m1, m2 = milestones[0], milestones[1]
    service.milestone_transition(m1, provider, "submit", {"message": "Mock-ups attached."})
    commit()
    service.milestone_transition(m1, sam, "release")
    commit()
    service.milestone_transition(m2, provider, "submit", {"message": "First build is up."})
    commit()
    # Cancelled tender.
    gone = tender(olga, "Photograph a bakery", "photography", 30_000)
    service.place_bid(gone, master, amount=25_000, days=3, proposal="One afternoon.")
    service.cancel_task(gone, olga)
    commit()

    # Open contest with entries (blind), guaranteed one, and a paid contest.
    def contest(client, title, prize, **kw):
        return service.post_task(
            client,
            kind="contest",
            title=title,
            description=title + ".",
            deadline=now + timedelta(days=7),
            selection_deadline=now + timedelta(days=14),
            skills="design",
            prize_amount=prize,
            **kw,
        )

    poster = contest(chen, "Poster for a spring festival", 50_000)
    service.submit_entry(poster, designer, note="Cherry blossoms, red and gold.")
    service.submit_entry(poster, master, note="Minimal, ink style.")
    commit()
    label = contest(sam, "Label for a honey jar", 30_000, sealed=True)
    finalist = service.submit_entry(label, designer, note="Bee and hexagons.")
    service.submit_entry(label, provider, note="Vintage label.")
    service.shortlist_entry(finalist, sam)
    commit()
    mascot = contest(olga, "Mascot for a kids' club", 40_000)
    winner = service.submit_entry(mascot, master, note="A friendly bear.")
    service.submit_entry(mascot, designer, note="A fox.")
    commit()
    service.award_contest(mascot, olga, [winner.id])
    commit()
