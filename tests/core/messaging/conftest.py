import pytest


@pytest.fixture
def people(user_factory):
    return {
        "customer": user_factory(display_name="Chen Wei"),
        "provider": user_factory(display_name="Bright Clean Ltd"),
        "stranger": user_factory(display_name="Mallory"),
        "support": user_factory(display_name="Ops", roles=["support"]),
    }


@pytest.fixture
def listing(people, listing_factory):
    return listing_factory(author=people["provider"], price_amount=2000, quantity=5)
