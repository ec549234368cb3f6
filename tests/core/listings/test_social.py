import pytest

from marketplace_kit.core.listings import social
from marketplace_kit.errors import NotFound, ValidationError
from marketplace_kit.events import commit


def test_favourites(app, user_factory, listing_factory):
    user, provider = user_factory(), user_factory()
    listing = listing_factory(title="Kettle")
    social.add_favourite(user, listing=listing)
    social.add_favourite(user, listing=listing)  # idempotent
    social.add_favourite(user, provider=provider)
    commit()
    assert social.favourite_listings(user) == [listing]
    with pytest.raises(ValidationError):
        social.add_favourite(user, provider=user)
    with pytest.raises(ValidationError):
        social.add_favourite(user)
    listing.status = "closed"
    commit()
    assert social.favourite_listings(user) == []
    social.remove_favourite(user, listing=listing)
    commit()
    assert not social.is_favourite(user, listing)


def test_saved_search_new_matches(app, user_factory, listing_factory):
    user = user_factory()
    listing_factory(title="Old kettle")
    saved = social.save_search(user, "Kettles", {"q": "kettle", "max_price": 5000})
    commit()
    assert social.new_matches(saved) == []
    fresh = listing_factory(title="New kettle", price_amount=3000)
    listing_factory(title="Pricey kettle", price_amount=9000)
    listing_factory(title="New teapot")
    assert social.new_matches(saved) == [fresh]
    assert social.new_matches(saved) == []
    with pytest.raises(ValidationError):
        social.save_search(user, "Bad", {"sort": "x"})
    with pytest.raises(ValidationError):
        social.save_search(user, "Bad", {"lat": 1})
    with pytest.raises(NotFound):
        social.delete_saved_search(user_factory(), saved.id)
