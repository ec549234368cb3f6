def test_chinese_first_site_with_its_own_theme(example_app):
    client = example_app("tea_coop").test_client()
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html  # default locale, no Accept-Language
    assert '<h1 id="hero-h">茶农合作社</h1>' in html and "跳到正文" in html  # site name
    assert "社员自产自销的好茶" in html  # [landing] copy in the default locale
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Tea Growers&#39; Co-op</h1>" in english
    assert '<meta name="theme-color" content="#5b3a29">' in html  # base.html override
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--mk-font:'Noto Serif SC', 'Songti SC', serif;" in css
    site = client.get("/api/v1/site").json
    assert (site["currency"], site["timezone"], site["locales"]) == (
        "CNY",
        "Asia/Shanghai",
        ["zh_Hans", "en"],
    )


def test_config_passes_check(example_app):
    from marketplace_kit import state

    app = example_app("tea_coop")
    assert state(app).settings.theme["name"] == "tea"
