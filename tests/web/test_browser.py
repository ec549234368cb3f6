"""In a real browser: the theme is applied and the language switcher works without JavaScript."""

from __future__ import annotations

import pytest


@pytest.mark.mk_config({"site": {"name": "Harbour Market"}, "theme": {"primary_color": "#0b6e4f"}})
def test_theme_colours_and_name_reach_the_page(page, live_server):
    page.goto(live_server("/"))
    assert page.title() == "Harbour Market"
    header_bg = page.eval_on_selector(".site-header", "el => getComputedStyle(el).backgroundColor")
    assert header_bg == "rgb(11, 110, 79)"


def test_language_switcher_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server("/"))
        page.select_option("#locale-select", "zh_Hans")
        page.click(".locale-switch button")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert page.locator(".skip-link").inner_text() == "跳到正文"
        page.select_option("#locale-select", "ru")
        page.click(".locale-switch button")
        assert page.locator(".powered").inner_text().startswith("Работает на marketplace-kit")
    finally:
        context.close()


def test_form_error_is_shown_next_to_its_field(page, live_server):
    page.goto(live_server("/register"))
    page.fill("input[name=display_name]", "Short Password")
    page.fill("input[name=email]", "short@example.com")
    page.fill("input[name=password]", "abc")
    page.click("main form button[type=submit]")
    field = page.locator(".field.has-error", has=page.locator("input[name=password]"))
    assert field.count() == 1
    assert field.locator(".errors").inner_text().strip() != ""
    assert page.get_attribute("input[name=password]", "aria-invalid") == "true"
    described = page.get_attribute("input[name=password]", "aria-describedby")
    assert page.locator(f"#{described}").is_visible()
    assert page.input_value("input[name=email]") == "short@example.com"  # nothing lost


def test_new_messages_appear_without_reloading(page, live_server, user_factory, listing_factory):
    from marketplace_kit.core.messaging import service
    from marketplace_kit.events import commit

    provider = user_factory(display_name="Ivan", password="a long passphrase 42")
    customer = user_factory(display_name="Chen")
    listing = listing_factory(author=provider, title="Kitchen repairs")
    conv, _first = service.start_conversation(customer, listing=listing, body="Hello there")
    commit()
    page.goto(live_server("/login"))
    page.fill("input[name=email]", provider.email)
    page.fill("input[name=password]", "a long passphrase 42")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_server(f"/messages/{conv.id}"))
    assert page.locator("li.message").count() == 1
    service.send_message(conv, customer, "Are you free on Friday?")
    commit()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # poll now
    page.wait_for_selector("li.message#latest:has-text('Are you free on Friday?')", timeout=5000)
    assert page.locator("li.message").count() == 2
    assert page.url.endswith(f"/messages/{conv.id}")  # the same page, not reloaded
