import pytest

from marketplace_kit.core.orders import engine
from marketplace_kit.events import commit


@pytest.fixture
def mk_config():
    return {"fees": {"rules": [{"name": "commission", "charged_to": "provider", "percent": "10"}]}}


@pytest.fixture
def people(user_factory):
    return {
        "customer": user_factory(display_name="Chen Wei"),
        "provider": user_factory(display_name="Bright Clean Ltd"),
        "finance": user_factory(display_name="Fin", roles=["finance"]),
        "support": user_factory(display_name="Sup", roles=["support"]),
    }


@pytest.fixture
def order(people, listing_factory):
    listing = listing_factory(author=people["provider"], price_amount=2500, quantity=3)
    placed = engine.place_order(None, customer=people["customer"], listing=listing)
    commit()
    return placed


@pytest.fixture
def sandbox(app):
    from marketplace_kit.core.payments.providers import payment_providers

    provider = payment_providers()["sandbox"]
    provider.refunds.clear()
    return provider
