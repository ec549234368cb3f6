"""The test client runs each request in its own app context."""

from marketplace_kit.core.users.models import User
from marketplace_kit.extensions import db


def test_sign_in_state_does_not_leak_between_requests(client, user_factory):
    user = user_factory()
    client.login(user)
    assert client.get("/account").status_code == 200
    client.logout()
    assert client.get("/account").status_code == 302
    other = client.application.test_client()
    assert other.get("/account").status_code == 302


def test_objects_see_what_a_request_changed(client, user_factory):
    user = user_factory(display_name="Before")
    client.login(user)
    client.submit("/account/profile", {"display_name": "After", "bio": "", "locale": ""})
    assert user.display_name == "After"
    assert db.session.get(User, user.id).display_name == "After"
