from sqlalchemy import func, select

from marketplace_kit.core.users.models import User, VerificationRequest
from marketplace_kit.demo import DEMO_PASSWORD, seed_core
from marketplace_kit.extensions import db


def test_demo_people(app, client):
    logins = seed_core(app, 1)
    labels = [label for label, _e, _p in logins]
    assert {"operator", "moderator", "support", "provider", "customer"} <= set(labels)
    users = list(db.session.scalars(select(User)))
    assert sum(u.is_business for u in users) >= 2
    providers = [u for u in users if u.bio]
    assert any(u.verification_level >= 2 for u in providers)
    assert any(u.verification_level == 0 for u in providers)
    assert {u.locale for u in users} == {"en", "ru", "zh_Hans"}
    pending = db.session.scalar(
        select(func.count())
        .select_from(VerificationRequest)
        .where(VerificationRequest.status == "pending")
    )
    assert pending == 1
    # the printed logins work
    resp = client.submit("/login", {"email": "provider@demo.example", "password": DEMO_PASSWORD})
    assert resp.status_code == 302
    assert (
        "Verified business"
        in client.get(
            f"/users/{next(u.id for u in users if u.email == 'provider@demo.example')}"
        ).text
    )
