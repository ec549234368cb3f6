import pytest

from marketplace_kit.core.users.policy import common_passwords, password_problems, valid_email


def test_common_list_is_shipped_and_small():
    words = common_passwords()
    assert 100 < len(words) < 5000
    assert "password" in words and "qwerty123" in words


@pytest.mark.parametrize(
    "password",
    ["password1234", "Password2024!", "P@ssw0rd!!!!", "1234567890", "qwertyuiop!", "LETMEIN123456"],
)
def test_common_patterns_are_refused(password):
    assert password_problems(password)


@pytest.mark.parametrize("password", ["violet tangerine orbit", "Zq8#kLm2!vR7x"])
def test_good_passwords_pass(password):
    assert password_problems(password, email="someone@example.com") == []


def test_length_and_email():
    assert "at least 12" in password_problems("abcdefghijk", min_length=12)[0]
    assert password_problems("x" * 2000)
    assert password_problems("zhangwei-secret-99", email="zhangwei@example.com")


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("a@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("no-at-sign", False),
        ("a@b", False),
        ("a b@example.com", False),
        ("a@-example.com", False),
        ("@example.com", False),
        ("a@example..com", False),
    ],
)
def test_valid_email(email, ok):
    assert valid_email(email) is ok
