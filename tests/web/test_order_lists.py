"""My orders: newest first, in pages (page link and API Link header)."""

from __future__ import annotations

import re


def test_orders_page_and_api_are_paged(client, user_factory, order_factory, api_token_factory):
    customer = user_factory()
    ids = [order_factory(customer=customer).id for _ in range(53)]
    order_factory()  # someone else's
    client.login(customer)
    first = client.get("/orders").text
    shown = [int(i) for i in re.findall(r'href="/orders/(\d+)"', first)]
    assert shown == sorted(ids, reverse=True)[:50]
    older = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    second = client.get(older.replace("&amp;", "&")).text
    assert [int(i) for i in re.findall(r'href="/orders/(\d+)"', second)] == sorted(ids)[:3][::-1]
    assert 'rel="next"' not in second
    assert client.get("/orders?before=abc").status_code == 200  # ignored, first page

    headers = {"Authorization": f"Bearer {api_token_factory(customer)}"}
    page = client.get("/api/v1/orders?limit=20", headers=headers)
    assert [o["id"] for o in page.json] == sorted(ids, reverse=True)[:20]
    link = re.fullmatch(r'<([^>]+)>; rel="next"', page.headers["Link"]).group(1)
    assert "limit=20" in link and f"before={page.json[-1]['id']}" in link
    rest = client.get(link, headers=headers)
    assert [o["id"] for o in rest.json] == sorted(ids, reverse=True)[20:40]
    last = client.get("/api/v1/orders?limit=100", headers=headers)
    assert len(last.json) == 53 and "Link" not in last.headers
    bad = client.get("/api/v1/orders?limit=1000", headers=headers)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
