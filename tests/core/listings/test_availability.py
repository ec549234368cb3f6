"""Search by period: only bookable listings free for the whole period (mk_listing_availability)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace_kit import hookimpl
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.listings.search import SearchQuery, search_listings
from marketplace_kit.core.orders import engine
from marketplace_kit.errors import ValidationError
from marketplace_kit.events import commit

DAY = datetime(2031, 5, 6, tzinfo=UTC)


def at(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


@pytest.fixture
def calendar(user_factory, listing_factory):
    provider = user_factory(display_name="Cleaner")
    busy = listing_factory(author=provider, listing_type="service", title="Busy cleaner")
    free = listing_factory(author=provider, listing_type="service", title="Free cleaner")
    product = listing_factory(author=provider, title="Mop")

    def book(listing, start, end):
        order = engine.place_order(
            "booking",
            customer=user_factory(),
            listing=listing,
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
        commit()
        return order

    order = book(busy, at(10), at(12))
    return {"busy": busy, "free": free, "product": product, "order": order, "book": book}


def found(start, end, **kw) -> set[str]:
    result = search_listings(SearchQuery(available_start=start, available_end=end, **kw))
    return {hit.listing.title for hit in result.hits}


def test_overlapping_bookings_take_a_listing_out_and_products_drop_out(calendar):
    assert found(at(11), at(13)) == {"Free cleaner"}
    assert found(at(9), at(10)) == {"Free cleaner", "Busy cleaner"}  # ends as the booking starts
    assert found(at(12), at(14)) == {"Free cleaner", "Busy cleaner"}  # half-open periods
    assert found(at(8), at(20)) == {"Free cleaner"}  # the whole period must be free
    everything = {h.listing.title for h in search_listings(SearchQuery()).hits}
    assert "Mop" in everything  # without a period products are found as usual


def test_a_declined_booking_frees_the_slot(calendar, user_factory):
    engine.transition(calendar["order"], "decline", calendar["busy"].author)
    commit()
    assert found(at(11), at(13)) == {"Free cleaner", "Busy cleaner"}


def test_the_period_combines_with_other_filters(calendar):
    assert found(at(11), at(13), q="cleaner") == {"Free cleaner"}
    assert found(at(9), at(10), q="busy") == {"Busy cleaner"}


def test_period_errors(calendar):
    for start, end, key in [
        (at(1), None, "available_start"),
        (at(5), at(5), "available_end"),
        (at(5), at(4), "available_end"),
        (at(0), at(0) + timedelta(days=91), "available_end"),
    ]:
        with pytest.raises(ValidationError) as exc:
            search_listings(SearchQuery(available_start=start, available_end=end))
        assert key in exc.value.errors


def test_naive_datetimes_are_utc(calendar):
    naive = datetime(2031, 5, 6, 11)
    assert found(naive, naive + timedelta(hours=2)) == {"Free cleaner"}


def test_a_plugin_condition_must_hold_too(app_factory, user_factory, listing_factory):
    class WeekdaysOnly:
        """Nobody works on Sundays: a plugin's own availability rule for services."""

        @hookimpl
        def mk_listing_availability(self, listing_type, start, end):
            if listing_type.name != "service":
                return None
            sunday = start.weekday() == 6 or end.weekday() == 6
            return Listing.id.is_(None) if sunday else Listing.id.is_not(None)

    app = app_factory(extra_plugins=[WeekdaysOnly()])
    with app.app_context():
        listing_factory(author=user_factory(), listing_type="service", title="Gardener")
        commit()
        sunday = datetime(2031, 5, 4, 9, tzinfo=UTC)
        monday = sunday + timedelta(days=1)
        assert found(monday, monday + timedelta(hours=2)) == {"Gardener"}
        assert found(sunday, sunday + timedelta(hours=2)) == set()


def test_search_page_and_api(client, calendar, api_token_factory, user_factory):
    page = client.get("/listings/?available_from=2031-05-06T11:00&available_to=2031-05-06T13:00")
    assert page.status_code == 200
    assert "Free cleaner" in page.text and "Busy cleaner" not in page.text
    assert 'type="datetime-local" id="available_from"' in page.text
    half = client.get("/listings/?available_from=2031-05-06T11:00")
    assert half.status_code == 200 and "Give both the start and the end" in half.text
    bad = client.get("/listings/?available_from=soon&available_to=2031-05-06T13:00")
    assert "Enter a date and time" in bad.text
    api = client.get(
        "/api/v1/listings/?available_start=2031-05-06T11:00:00Z&available_end=2031-05-06T13:00:00Z"
    )
    assert api.status_code == 200
    assert {item["title"] for item in api.json["items"]} == {"Free cleaner"}
    wrong = client.get(
        "/api/v1/listings/?available_start=2031-05-06T13:00:00Z&available_end=2031-05-06T11:00:00Z"
    )
    assert wrong.status_code == 422
    assert wrong.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.mk_config({"site": {"timezone": "Asia/Shanghai"}})
def test_the_page_reads_times_in_the_site_time_zone(client, calendar):
    # 18:00-20:00 in Shanghai is 10:00-12:00 UTC: the busy cleaner's booking
    page = client.get("/listings/?available_from=2031-05-06T18:00&available_to=2031-05-06T20:00")
    assert "Free cleaner" in page.text and "Busy cleaner" not in page.text
    assert "Asia/Shanghai" in page.text
