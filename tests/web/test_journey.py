"""In a real browser, two strangers trade: the core journey end to end.

A visitor registers as a provider and publishes a listing; another registers
as a customer, finds it by search, buys it with a card, and messages the
provider; the provider marks it delivered; the customer accepts; both review
each other. Every step goes through the pages a person would use (forms,
buttons, links).
"""

from __future__ import annotations

import pytest

PASSWORD = "a long and careful passphrase 7"


def register(page, live_server, *, name: str, email: str) -> None:
    """Sign up, confirm the address from the emailed link (dev outbox), sign in."""
    page.goto(live_server("/register"))
    page.fill("input[name=display_name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Check your inbox"
    page.goto(live_server("/-/mail"))
    mail = page.locator("article.mail", has_text=f"To: {email}").first
    mail.locator("a[href*='/confirm/']").first.click()
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_server("/login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".account-menu summary").inner_text().startswith(name)


@pytest.mark.mk_config({"orders": {"payment_providers": ["sandbox"]}})
def test_two_strangers_trade_through_the_pages(browser, live_server):
    seller_ctx = browser.new_context(locale="en-US")
    buyer_ctx = browser.new_context(locale="en-US")
    seller, buyer = seller_ctx.new_page(), buyer_ctx.new_page()
    try:
        # The provider signs up and publishes a listing.
        register(seller, live_server, name="Harbour Kayaks", email="kayaks@example.com")
        seller.goto(live_server("/listings/new"))
        seller.click("text=Product")
        seller.fill("input[name=title]", "Sea kayak for two")
        seller.fill("textarea[name=description]", "Stable, dry bags included.")
        seller.fill("input[name=price]", "450.00")
        seller.fill("input[name=quantity]", "2")
        seller.click("main form button[type=submit]")
        seller.wait_for_load_state()
        seller.click("form.inline-form button:has-text('Publish')")
        seller.wait_for_load_state()
        listing_url = seller.url
        assert "/listings/" in listing_url
        assert seller.locator("h1").inner_text() == "Sea kayak for two"

        # The customer signs up, finds it by search and buys it with a test card.
        register(buyer, live_server, name="Olga", email="olga@example.com")
        buyer.goto(live_server("/"))
        buyer.fill("#hero-q", "kayak")
        buyer.press("#hero-q", "Enter")
        buyer.wait_for_load_state()
        buyer.click(".listing-card a:has-text('Sea kayak for two')")
        buyer.click("a.button:has-text('Buy now')")
        buyer.click("main form button[type=submit]")
        buyer.wait_for_load_state()
        order_url = buyer.url
        assert "/orders/" in order_url
        buyer.select_option("select[name=provider]", "sandbox")
        buyer.fill("input[name=card]", "4242 4242 4242 4242")
        buyer.click(".pay button[type=submit]")
        buyer.wait_for_load_state()
        assert buyer.locator(".order-state").inner_text() == "Paid"

        # The customer writes to the provider about the order.
        buyer.click("text=Message about this order")
        buyer.fill("textarea[name=body]", "Can I collect it on Saturday?")
        buyer.click("main form button[type=submit]")
        buyer.wait_for_load_state()
        assert "Can I collect it on Saturday?" in buyer.content()

        # The provider sees the order and the message, and marks it delivered.
        seller.goto(live_server("/orders?as=provider"))
        seller.click("table a")
        assert "Olga" in seller.content()
        seller.click("button[value=mark_delivered]")
        seller.wait_for_load_state()
        assert seller.locator(".order-state").inner_text() == "Delivered"
        seller.goto(live_server("/messages"))
        seller.click(".conversation.unread a:has-text('Olga')")
        assert "Can I collect it on Saturday?" in seller.content()

        # The customer accepts; the order completes.
        buyer.goto(order_url)
        buyer.click("button[value=accept]")
        buyer.wait_for_load_state()
        assert buyer.locator(".order-state").inner_text() == "Completed"

        # Both review each other; the reviews stay blind until both are in.
        buyer.select_option("select[name=rating]", "5")
        buyer.fill(".review-form textarea[name=text]", "Exactly as described, friendly seller.")
        buyer.click(".review-form button[type=submit]")
        buyer.wait_for_load_state()
        seller.goto(order_url)
        assert "Exactly as described" not in seller.content()  # blind until the seller reviews
        seller.select_option("select[name=rating]", "4")
        seller.click(".review-form button[type=submit]")
        seller.wait_for_load_state()
        assert "Exactly as described, friendly seller." in seller.content()
        buyer.goto(listing_url)
        buyer.click("main a:has-text('Harbour Kayaks')")
        buyer.wait_for_load_state()
        assert "/users/" in buyer.url
        assert "Exactly as described, friendly seller." in buyer.content()  # public profile
    finally:
        seller_ctx.close()
        buyer_ctx.close()
