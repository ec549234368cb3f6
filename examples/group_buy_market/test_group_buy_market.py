"""Group Buy Market: a Chinese-first 拼团 site built on the group_buying plugin."""

from datetime import timedelta


def test_a_chinese_group_buying_site_with_the_plugin_enabled(example_app):
    from marketplace_kit import plugin_settings, state

    app = example_app("group_buy_market")
    assert "group_buying" in state(app).pm.loaded
    assert plugin_settings(app, "group_buying")["reservation_ttl_minutes"] == 10
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html and "拼着买，更便宜" in html  # noqa: RUF001
    assert 'href="/group-buying/"' in html  # the plugin's menu link, in Chinese
    deals = client.get("/group-buying/").get_data(as_text=True)
    assert "团购" in deals and "目前没有进行中的团购。" in deals
    assert client.get("/api/v1/group-buying/deals").get_json() == []


def test_a_team_buy_runs_end_to_end_with_the_sites_ttl(example_app):
    app = example_app("group_buy_market")
    with app.app_context():
        from marketplace_kit_group_buying import service

        from marketplace_kit.core.db import utcnow
        from marketplace_kit.core.ledger import service as ledger
        from marketplace_kit.core.listings.models import Listing
        from marketplace_kit.core.users.service import create_user
        from marketplace_kit.events import commit
        from marketplace_kit.extensions import db
        from marketplace_kit.money import Money

        seller = create_user("seller@groupbuy.example", "果园")
        buyers = [create_user(f"b{n}@groupbuy.example", f"买家{n}") for n in range(2)]
        commit()
        for buyer in buyers:
            ledger.transfer(
                "deposit",
                ledger.account("clearing", "sandbox", "CNY"),
                ledger.account("wallet", buyer, "CNY"),
                Money(10_000, "CNY"),
            )
        listing = Listing(
            author_id=seller.id,
            listing_type="product",
            title="荔枝 5 公斤",
            description="产地直发",
            price_amount=6000,
            currency="CNY",
            status="published",
            quantity=20,
            public_data={},
            protected_data={},
            private_data={},
            published_at=utcnow(),
        )
        db.session.add(listing)
        commit()
        now = utcnow()
        deal = service.create_deal(
            seller,
            listing,
            {
                "kind": "team",
                "group_price": 4800,
                "group_size": 2,
                "fill_window_minutes": 60,
                "ends_at": now + timedelta(days=1),
                "per_order_limit": 1,
            },
        )
        commit()
        lead = service.start_group(buyers[0], deal)
        commit()
        assert lead.reserved_until - now < timedelta(minutes=11)  # the site's 10-minute TTL
        service.pay_from_wallet(lead, buyers[0])
        commit()
        group = db.session.get(service.Group, lead.group_id)
        member = service.join_group(buyers[1], group)
        commit()
        service.pay_from_wallet(member, buyers[1])
        commit()
        db.session.expire_all()
        assert db.session.get(service.Group, lead.group_id).status == "filled"
        assert ledger.verify() == []
