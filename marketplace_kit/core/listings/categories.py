"""The category tree: loaded from ``[categories] tree`` in the config, then edited by operators.

The config seeds the database the first time categories are read (and
``marketplace-kit categories sync`` re-applies it, matching by slug); after
that the ``categories`` table is the source of truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import func, select

from ...errors import Conflict, NotFound, ValidationError
from ...extensions import db
from ..access import require
from ..db import plain_rows
from .models import Category, Listing, category_name

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CategoryInfo:
    """A read-only copy of a category row, shared by the requests of a process.

    Pages, search and the API read the tree through these (see
    :func:`all_categories`); edits go through the ``Category`` model.
    """

    id: int
    slug: str
    parent_id: int | None
    names: dict[str, str]
    attribute_hints: list[str]
    position: int

    def name(self, locale: str | None = None) -> str:
        return category_name(self.names, self.slug, locale)


@dataclass
class Node:
    category: CategoryInfo
    children: list[Node] = field(default_factory=list)
    depth: int = 0


def sync_from_config(tree: list[dict[str, Any]] | None = None) -> int:
    """Create or update categories from the config tree (by slug); return how many."""
    from ...app import state

    if tree is None:
        tree = state(current_app).settings.categories["tree"]
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    before = _paths() if existing else {}
    count = 0

    def walk(nodes: list[dict[str, Any]], parent: Category | None) -> None:
        nonlocal count
        for position, node in enumerate(nodes):
            cat = existing.get(node["slug"])
            if cat is None:
                cat = Category(slug=node["slug"])
                db.session.add(cat)
                existing[cat.slug] = cat
            cat.names = dict(node["names"])
            cat.attribute_hints = list(node.get("attribute_hints") or [])
            cat.parent = parent
            cat.position = position
            count += 1
            db.session.flush()
            walk(node.get("children") or [], cat)

    walk(tree, None)
    forget_cached()
    if before:
        reindex_moved(before)
    return count


def ensure_seeded() -> None:
    """Load the config tree when the table is still empty (first start)."""
    from ...app import state

    if not state(current_app).settings.categories["tree"]:
        return
    if db.session.scalar(select(func.count(Category.id))) == 0:
        sync_from_config()
        db.session.commit()


_CACHE = "_mk_categories"
_APP_CACHE = "mk_category_snapshot"


def all_categories() -> list[CategoryInfo]:
    """Every category in tree order.

    The rows are copied once per process and reused while the table's version
    (row count and latest ``updated_at``, one cheap statement per request)
    stays the same, so an operator's edit is seen by every worker on its next
    request. Within a request the list is read once. Edits go through the
    ``Category`` model, which sets ``updated_at``; a raw SQL update that leaves
    ``updated_at`` alone is seen after the next edit or restart.
    """
    if has_request_context() and _CACHE in g:
        return g.get(_CACHE)
    ensure_seeded()
    cats = _snapshot()
    if has_request_context():
        setattr(g, _CACHE, cats)
    return cats


#: The table's version: one plain statement per request (``core.db.plain_rows``).
_VERSION = select(func.count(Category.__table__.c.id), func.max(Category.__table__.c.updated_at))


def _snapshot() -> list[CategoryInfo]:
    version = tuple(plain_rows(_VERSION).one())
    cached = current_app.extensions.get(_APP_CACHE)
    if cached is not None and cached[0] == version:
        return cached[1]["list"]
    table = Category.__table__
    rows = db.session.execute(
        select(
            table.c.id,
            table.c.slug,
            table.c.parent_id,
            table.c.names,
            table.c.attribute_hints,
            table.c.position,
        ).order_by(table.c.position, table.c.id)
    )
    cats = [
        CategoryInfo(r.id, r.slug, r.parent_id, r.names or {}, r.attribute_hints or [], r.position)
        for r in rows
    ]
    current_app.extensions[_APP_CACHE] = (version, {"list": cats, "by_id": {c.id: c for c in cats}})
    return cats


def categories_by_id() -> dict[int, CategoryInfo]:
    """The shared copy of the tree by id (one read of the table's version)."""
    all_categories()
    return current_app.extensions[_APP_CACHE][1]["by_id"]


def category_by_id(category_id: int | None) -> CategoryInfo | None:
    """The category with this id from the shared copy of the tree (``None`` if there is none)."""
    if category_id is None:
        return None
    return categories_by_id().get(category_id)


def forget_cached() -> None:
    """Drop this request's category list (after an edit)."""
    if has_request_context():
        g.pop(_CACHE, None)


def tree() -> list[Node]:
    cats = all_categories()
    nodes = {c.id: Node(c) for c in cats}
    roots: list[Node] = []
    for c in cats:
        node = nodes[c.id]
        if c.parent_id is not None and c.parent_id in nodes:
            nodes[c.parent_id].children.append(node)
        else:
            roots.append(node)

    def set_depth(items: list[Node], depth: int) -> None:
        for n in items:
            n.depth = depth
            set_depth(n.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten(nodes: list[Node] | None = None) -> list[Node]:
    out: list[Node] = []
    for n in tree() if nodes is None else nodes:
        out.append(n)
        out.extend(flatten(n.children))
    return out


def find_category(slug_or_id: Any) -> CategoryInfo:
    """The category with this slug (or id), read from the shared copy of the tree."""
    key = "id" if isinstance(slug_or_id, int) else "slug"
    value = slug_or_id if key == "id" else str(slug_or_id)
    cat = next((c for c in all_categories() if getattr(c, key) == value), None)
    if cat is None:
        raise NotFound("No such category.")
    return cat


def get_category(slug_or_id: Any) -> Category:
    """The ``Category`` row with this slug (or id), to edit it."""
    found = find_category(slug_or_id)
    cat = db.session.get(Category, found.id)
    if cat is None:
        raise NotFound("No such category.")
    return cat


def path_ids(category_id: int | None, by_id: dict[int, CategoryInfo] | None = None) -> list[int]:
    """``category_id`` and the ids of its ancestors, nearest first (``[]`` for ``None``);
    ``by_id`` is the tree to walk (read once from the shared copy when not given)."""
    if category_id is None:
        return []
    by_id = categories_by_id() if by_id is None else by_id
    out: list[int] = []
    node = by_id.get(category_id)
    while node is not None and node.id not in out:
        out.append(node.id)
        node = by_id.get(node.parent_id) if node.parent_id is not None else None
    return out


def _paths() -> dict[int, tuple[int, ...]]:
    forget_cached()
    by_id = categories_by_id()
    return {cid: tuple(path_ids(cid, by_id)) for cid in by_id}


def reindex_moved(before: dict[int, tuple[int, ...]]) -> int:
    """Refresh the search documents of listings whose category now sits elsewhere in the
    tree than in ``before`` (``_paths()`` taken before the edit); returns how many."""
    from .service import refresh_document

    db.session.flush()
    after = _paths()
    moved = [cid for cid, path in after.items() if before.get(cid, path) != path]
    if not moved:
        return 0
    count = 0
    stmt = select(Listing).where(Listing.category_id.in_(moved)).order_by(Listing.id)
    for listing in db.session.scalars(stmt.execution_options(yield_per=500)):
        refresh_document(listing)
        count += 1
    db.session.flush()
    return count


def descendant_ids(category: CategoryInfo | Category) -> list[int]:
    """``category``'s id and those of all categories below it."""
    children: dict[int | None, list[int]] = {}
    for c in all_categories():
        children.setdefault(c.parent_id, []).append(c.id)
    out, todo = [], [category.id]
    while todo:
        cid = todo.pop()
        out.append(cid)
        todo.extend(children.get(cid, []))
    return out


# ---------------------------------------------------------------------------
# operator edits
# ---------------------------------------------------------------------------


def _validate(
    slug: Any, names: Any, parent: Category | None, current: Category | None
) -> dict[str, Any]:
    from ...app import state

    locales = state(current_app).settings.site["locales"]
    errors: dict[str, list[str]] = {}
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 80:
        errors["slug"] = ["Lower-case letters, digits and dashes, such as home-garden."]
    else:
        other = db.session.scalar(select(Category).where(Category.slug == slug))
        if other is not None and other is not current:
            errors["slug"] = ["Already used by another category."]
    clean: dict[str, str] = {}
    if not isinstance(names, dict):
        errors["names"] = ["Give a name per language."]
    else:
        for code, value in names.items():
            if code not in locales:
                errors.setdefault("names", []).append(f"{code!r} is not a site language.")
            elif isinstance(value, str) and value.strip():
                if len(value.strip()) > 120:
                    errors.setdefault("names", []).append("Names are at most 120 characters.")
                clean[code] = value.strip()
        if not clean:
            errors.setdefault("names", []).append("Give at least one name.")
    if current is not None and parent is not None:
        node: Category | None = parent
        while node is not None:
            if node.id == current.id:
                errors["parent"] = ["A category cannot be placed below itself."]
                break
            node = node.parent
    if errors:
        raise ValidationError("Some fields are invalid.", errors=errors)
    return clean


def _parent(value: Any) -> Category | None:
    if value in (None, ""):
        return None
    try:
        return get_category(int(value) if str(value).isdigit() else value)
    except NotFound:
        raise ValidationError(errors={"parent": ["Unknown category."]}) from None


def create_category(
    user: Any,
    *,
    slug: str,
    names: dict[str, str],
    parent: Any = None,
    attribute_hints: list[str] | None = None,
) -> Category:
    require(user, "categories.edit")
    parent_cat = _parent(parent)
    clean = _validate(slug, names, parent_cat, None)
    siblings = db.session.scalar(
        select(func.count(Category.id)).where(
            Category.parent_id == (parent_cat.id if parent_cat else None)
        )
    )
    cat = Category(
        slug=slug,
        names=clean,
        parent=parent_cat,
        attribute_hints=[h.strip() for h in attribute_hints or [] if h.strip()],
        position=siblings or 0,
    )
    db.session.add(cat)
    db.session.flush()
    forget_cached()
    return cat


def update_category(
    user: Any,
    category: Category,
    *,
    slug: str,
    names: dict[str, str],
    parent: Any = None,
    attribute_hints: list[str] | None = None,
) -> Category:
    require(user, "categories.edit")
    parent_cat = _parent(parent)
    clean = _validate(slug, names, parent_cat, category)
    moving = (parent_cat.id if parent_cat else None) != category.parent_id
    before = _paths() if moving else {}
    category.slug = slug
    category.names = clean
    category.parent = parent_cat
    category.attribute_hints = [h.strip() for h in attribute_hints or [] if h.strip()]
    forget_cached()
    if moving:  # its listings and those below it are searched under the new ancestors
        reindex_moved(before)
    return category


def delete_category(user: Any, category: Category) -> None:
    require(user, "categories.edit")
    if db.session.scalar(select(func.count(Category.id)).where(Category.parent_id == category.id)):
        raise Conflict("Move or delete its subcategories first.")
    used = db.session.scalar(
        select(func.count(Listing.id)).where(Listing.category_id == category.id)
    )
    if used:
        raise Conflict(f"{used} listing(s) use this category; move them first.")
    db.session.delete(category)
    forget_cached()
