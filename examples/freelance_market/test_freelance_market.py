from datetime import timedelta


def test_a_freelance_site_runs_tenders_and_contests(example_app):
    from marketplace_kit import plugin_settings
    from marketplace_kit.core.db import utcnow
    from marketplace_kit.core.ledger import service as ledger
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.events import commit
    from marketplace_kit.money import Money

    app = example_app("freelance_market")
    client = app.test_client()
    assert "Tasks" in client.get("/").get_data(as_text=True)  # the plugin's menu link
    assert client.get("/tasks").status_code == 200
    with app.app_context():
        from marketplace_kit_crowdsourcing import service

        assert plugin_settings(app, "crowdsourcing")["monthly_bids"] == 30
        buyer = create_user("buyer@freelance.example", "Buyer")
        designer = create_user("designer@freelance.example", "Designer")
        commit()
        ledger.transfer(
            "deposit",
            ledger.account("clearing", "sandbox", "USD"),
            ledger.account("wallet", buyer, "USD"),
            Money(100_000, "USD"),
        )
        now = utcnow()
        contest = service.post_task(
            buyer,
            kind="contest",
            title="A logo",
            description="",
            deadline=now + timedelta(days=3),
            selection_deadline=now + timedelta(days=5),
            prize_amount=20_000,
        )
        entry = service.submit_entry(contest, designer, note="Round and bold")
        service.award_contest(contest, buyer, [entry.id])
        commit()
        # 5% posting fee from the buyer; 10% commission from the designer
        assert ledger.balance_of("wallet", buyer, "USD") == Money(79_000, "USD")
        assert ledger.balance_of("wallet", designer, "USD") == Money(18_000, "USD")
        assert ledger.verify() == []
    zh = client.get("/tasks", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "发布任务" in zh  # the plugin's own catalog
