def test_health(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["database"] is True


def test_user_factory(user_factory, db_dialect):
    user = user_factory(email="Alice@Example.COM")
    assert user.email == "Alice@example.com"
