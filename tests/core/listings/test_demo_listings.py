import re

from sqlalchemy import func, select

from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.listings.search import SearchQuery, search_listings
from marketplace_kit.demo_listings import seed_listings
from marketplace_kit.extensions import db


def test_seed_listings_in_three_languages(app):
    assert seed_listings(app, seed=1, count=90) == 90
    published = select(func.count(Listing.id)).where(Listing.status == "published")
    assert db.session.scalar(published) == 90
    titles = list(db.session.scalars(select(Listing.title)))
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in titles)
    assert any(re.search(r"[\u0400-\u04ff]", t) for t in titles)
    assert any(re.fullmatch(r"[A-Za-z0-9 &-]+", t) for t in titles)
    facets = search_listings(SearchQuery(facets=True, limit=1)).facets
    assert sum(facets["listing_type"].values()) == 90
    assert set(facets["category"]) & {"home", "services", "bikes", "electronics"}
