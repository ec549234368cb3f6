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
from .models import Category, Listing

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Node:
    category: Category
    children: list[Node] = field(default_factory=list)
    depth: int = 0


def sync_from_config(tree: list[dict[str, Any]] | None = None) -> int:
    """Create or update categories from the config tree (by slug); return how many."""
    from ...app import state

    if tree is None:
        tree = state(current_app).settings.categories["tree"]
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
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


def all_categories() -> list[Category]:
    """Every category in tree order; read once per request (pages ask several times)."""
    if has_request_context() and _CACHE in g:
        return g.get(_CACHE)
    ensure_seeded()
    cats = list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))
    if has_request_context():
        setattr(g, _CACHE, cats)
    return cats


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


def get_category(slug_or_id: Any) -> Category:
    key = "id" if isinstance(slug_or_id, int) else "slug"
    value = slug_or_id if key == "id" else str(slug_or_id)
    cat = next((c for c in all_categories() if getattr(c, key) == value), None)
    if cat is None:
        raise NotFound("No such category.")
    return cat


def descendant_ids(category: Category) -> list[int]:
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


def ancestors(category: Category) -> list[Category]:
    """From the root down to ``category``'s parent."""
    chain: list[Category] = []
    seen = {category.id}
    parent = category.parent
    while parent is not None and parent.id not in seen:
        chain.append(parent)
        seen.add(parent.id)
        parent = parent.parent
    return list(reversed(chain))


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
    category.slug = slug
    category.names = clean
    category.parent = parent_cat
    category.attribute_hints = [h.strip() for h in attribute_hints or [] if h.strip()]
    forget_cached()
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
