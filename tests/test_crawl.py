"""Crawl the demo marketplace: every internal link reachable from the home page works.

The demo (core and every installed plugin that takes part in it) is built in a
temporary SQLite database; a visitor, a customer, a provider and an operator
each follow links breadth-first from ``/`` and every page must answer below
400 — no broken links, no raw errors, in each of the three languages' home.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from marketplace_kit.testing import MarketplaceClient

LINK = re.compile(r'<a\s[^>]*href="([^"#]+)')
#: Links a crawler must not follow (they change state or leave the page set).
SKIP = re.compile(r"^/(static/|media/|-/mail|api/v1/openapi\.json)|/download|/export")
PER_SHAPE = 3  # URLs per path shape (digits folded), so big lists don't dominate
LIMIT = 700


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from marketplace_kit.demo import build_demo

    path = tmp_path_factory.mktemp("crawl") / "demo.sqlite3"
    app, logins = build_demo(
        None, database_url=f"sqlite:///{path}", seed=3, port=5097, host="127.0.0.1"
    )
    app.test_client_class = MarketplaceClient
    return app, {role: email for role, email, _pw in logins}


def crawl(client, start="/", languages=("en",)):
    seen: set[str] = set()
    shapes: Counter[tuple[str, str]] = Counter()
    queue = deque((start, lang) for lang in languages)
    failures = []
    pages = 0
    while queue and pages < LIMIT:
        url, lang = queue.popleft()
        if (url, lang) in seen:
            continue
        seen.add((url, lang))
        resp = client.get(url, headers={"Accept-Language": lang})
        pages += 1
        if resp.status_code >= 400:
            failures.append((resp.status_code, url, lang))
            continue
        if resp.status_code in (301, 302, 303, 307, 308) or resp.mimetype != "text/html":
            continue
        for href in LINK.findall(resp.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            target = urlsplit(urljoin(url, href))
            if target.netloc and target.netloc not in ("localhost", "127.0.0.1:5097"):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if not path.startswith("/") or SKIP.search(target.path):
                continue
            shape = (re.sub(r"\d+", "N", target.path), lang)
            if (path, lang) in seen or shapes[shape] >= PER_SHAPE:
                continue
            shapes[shape] += 1
            queue.append((path, lang))
    return pages, failures


@pytest.mark.parametrize("role", [None, "customer", "provider", "operator"])
def test_every_link_works(demo, role):
    from marketplace_kit.core.users.models import User
    from marketplace_kit.extensions import db

    app, emails = demo
    client = app.test_client()
    if role is not None:
        with app.app_context():
            user = db.session.scalars(select(User).where(User.email == emails[role])).one()
            client.login(user)
    languages = ("en", "zh-CN", "ru") if role in (None, "customer") else ("en",)
    pages, failures = crawl(client, languages=languages)
    assert pages > 20, f"only {pages} pages reached as {role}"
    assert failures == [], f"broken links as {role}: {failures}"
