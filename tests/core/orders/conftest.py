import pytest

FEES = {
    "fees": {
        "rules": [
            {"name": "buyer_service_fee", "charged_to": "customer", "percent": "5"},
            {"name": "seller_commission", "charged_to": "provider", "percent": "10", "minimum": 50},
        ]
    }
}


@pytest.fixture
def mk_config():
    return FEES


@pytest.fixture
def people(user_factory):
    return {
        "customer": user_factory(display_name="Chen Wei"),
        "provider": user_factory(display_name="Bright Clean Ltd"),
        "operator": user_factory(display_name="Ops", roles=["support"]),
    }
