import pytest

from marketplace_kit.core.listings import categories
from marketplace_kit.errors import Conflict, PermissionDenied, ValidationError
from marketplace_kit.events import commit

TREE = [
    {
        "slug": "home",
        "names": {"en": "Home", "zh_Hans": "家居", "ru": "Дом"},
        "children": [
            {
                "slug": "furniture",
                "names": {"en": "Furniture", "zh_Hans": "家具", "ru": "Мебель"},
                "attribute_hints": ["material"],
            }
        ],
    },
    {"slug": "bikes", "names": {"en": "Bikes", "ru": "Велосипеды"}},
]


@pytest.mark.mk_config({"categories": {"tree": TREE}})
def test_config_tree_is_seeded_on_first_read(app):
    roots = categories.tree()
    assert [n.category.slug for n in roots] == ["home", "bikes"]
    furniture = roots[0].children[0].category
    assert furniture.name("zh_Hans") == "家具" and furniture.name("ru") == "Мебель"
    assert furniture.attribute_hints == ["material"]
    assert categories.get_category("bikes").name("zh_Hans") == "Bikes"  # falls back to en
    home = categories.get_category("home")
    assert sorted(categories.descendant_ids(home)) == sorted([home.id, furniture.id])


def test_bad_config_tree_stops_startup(app_factory):
    from marketplace_kit.errors import ConfigError

    with pytest.raises(ConfigError, match="categories"):
        app_factory({"categories": {"tree": [{"slug": "Bad Slug", "names": {"en": "x"}}]}})
    with pytest.raises(ConfigError, match="used twice"):
        app_factory({"categories": {"tree": [TREE[1], TREE[1]]}})


@pytest.mark.mk_config({"categories": {"tree": TREE}})
def test_sync_command_applies_config(app, cli):
    result = cli("categories", "sync")
    assert result.exit_code == 0, result.output
    assert "3 categories" in result.output


def test_operator_edits(app, user_factory, listing_factory):
    admin = user_factory(roles=["admin"])
    member = user_factory()
    with pytest.raises(PermissionDenied):
        categories.create_category(member, slug="x", names={"en": "X"})
    tools = categories.create_category(
        admin, slug="tools", names={"en": "Tools", "ru": "Инструменты"}
    )
    drills = categories.create_category(
        admin, slug="drills", names={"en": "Drills"}, parent="tools"
    )
    commit()
    assert drills.parent_id == tools.id
    with pytest.raises(ValidationError) as exc:
        categories.create_category(admin, slug="tools", names={"xx": "?"})
    assert "slug" in exc.value.errors and "names" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        categories.update_category(admin, tools, slug="tools", names={"en": "T"}, parent=drills.id)
    assert "parent" in exc.value.errors
    with pytest.raises(Conflict):
        categories.delete_category(admin, tools)
    listing_factory(category=drills)
    with pytest.raises(Conflict):
        categories.delete_category(admin, drills)


def test_category_paths_read_the_tree_once_whatever_its_depth(
    app, category_factory, listing_factory
):
    """A listing's search document takes its category path from one read of the shared
    tree: as many statements for a category three levels down as for a top-level one,
    and for every path of the tree at once."""
    from marketplace_kit.core.listings.service import refresh_document
    from marketplace_kit.testing import count_queries

    top = category_factory("top")
    deep = category_factory("deep", parent=category_factory("middle", parent=top))
    shallow, nested = listing_factory(category=top), listing_factory(category=deep)
    counts = []
    for listing in (shallow, nested):
        with count_queries(app) as log:
            refresh_document(listing)
        counts.append(len(log))
        commit()
    assert counts[0] == counts[1]
    assert nested.search_text.endswith(f"/c/{deep.id} /c/{deep.parent_id} /c/{top.id}")
    with count_queries(app) as log:
        paths = categories._paths()
    assert paths[deep.id] == (deep.id, deep.parent_id, top.id)
    assert len(log) <= counts[0]
