def test_home_extends_the_core_page_with_the_sites_own_section(example_app):
    client = example_app("harbour_market").test_client()
    html = client.get("/").get_data(as_text=True)
    assert '<h1 id="hero-h">Fresh from the harbour</h1>' in html  # [landing] copy, core page
    assert "Pay safely" in html  # [landing] steps: the override keeps the core's sections
    assert '<section class="harbour-welcome">' in html  # the site's override
    assert 'src="/static/site/logo.svg"' in html
    assert 'href="/static/site/harbour.css"' in html
    assert client.get("/static/site/logo.svg").status_code == 200
    assert "--mk-primary:#0b6e4f;" in client.get("/theme.css").get_data(as_text=True)


def test_logo_and_colours_in_a_real_browser(example_app, browser):
    import threading

    from werkzeug.serving import make_server

    app = example_app("harbour_market")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        logo = page.locator(".brand img")
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
        assert (
            page.eval_on_selector(".site-header", "el => getComputedStyle(el).backgroundColor")
            == "rgb(11, 110, 79)"
        )
        assert (
            page.eval_on_selector(".site-header", "el => getComputedStyle(el).borderBottomColor")
            == "rgb(242, 165, 65)"
        )
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=10)
