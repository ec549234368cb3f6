"""Masking contact details: plain, obfuscated, Chinese and Russian text; no false alarms."""

import pytest

from marketplace_kit.core.messaging.masking import MASK, mask_contacts

HIDDEN = [
    ("Write to anna.k@example.com please", "anna.k@example.com"),
    ("my mail: anna at example dot com", "example dot com"),
    ("anna(at)example(dot)com", "example"),
    ("anna [at] example [dot] org", "example"),
    ("Call me on +1 (415) 555-0132 tonight", "555-0132"),
    ("my number 415.555.0132", "555.0132"),
    ("see https://shop.example.org/deal?x=1", "shop.example.org"),
    ("go to www.bright-clean.co.uk", "bright-clean"),
    ("or bright-clean.com/offer", "bright-clean"),
    ("我的电话是 138 0013 8000，请联系", "8000"),  # noqa: RUF001
    ("我的电话是１３８００１３８０００", "８０００"),  # noqa: RUF001
    ("邮箱 chen＠qq。com 或 微信: chen_wei88", "qq"),  # noqa: RUF001
    ("Звоните +7 (916) 123-45-67, Анна", "123-45-67"),
    ("пишите anna собака mail точка ru", "mail"),
    ("Мой сайт remont-msk.ru, заходите", "remont-msk"),
    ("Telegram: @annashop", "annashop"),
]

KEPT = [
    "It costs 1500 rubles for 3 hours, starting at 10:30.",
    "Meet at 5 at the station, flat 12, 2nd floor.",
    "I can do it at home. Order 12345 is fine.",
    "周六上午九点可以，价格 300 元。",  # noqa: RUF001
    "Да, в среду после 18:00 удобно, 2 500 ₽.",
]


@pytest.mark.parametrize(("text", "secret"), HIDDEN)
def test_contact_details_are_masked(text, secret):
    masked = mask_contacts(text)
    assert secret not in masked
    assert MASK in masked


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_left_alone(text):
    assert mask_contacts(text) == text


def test_surrounding_text_survives():
    assert mask_contacts("Звоните +7 916 123 45 67, Анна") == f"Звоните {MASK}, Анна"
    assert mask_contacts("我的邮箱是 a@b.cn 谢谢") == f"我的邮箱是 {MASK} 谢谢"
