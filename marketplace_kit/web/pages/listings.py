"""Listing pages: search/browse, detail, create/edit/publish/pause/close, my listings,
moderation, categories, favourites and saved searches."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ...core.access import can
from ...core.listings import categories as category_service
from ...core.listings import service
from ...core.listings.search import SORTS, SearchQuery, filterable_attributes, search_listings
from ...core.listings.types import get_listing_type, listing_types
from ...core.orders.availability import bookable_types
from ...errors import MarketplaceError, NotFound, ValidationError
from ...events import commit
from ...extensions import db
from ..i18n import local_to_utc, locale_code
from .listing_forms import (
    apply_errors,
    attribute_names,
    fill_form,
    form_class,
    form_to_data,
    minor_to_str,
    price_to_minor,
)

bp = Blueprint("listings", __name__, url_prefix="/listings")

SORT_LABELS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest"),
    "price_asc": _l("Price: low to high"),
    "price_desc": _l("Price: high to low"),
    "distance": _l("Distance"),
    "rating": _l("Provider rating"),
}
#: The search page's "minimum rating" choices (stars).
MIN_RATINGS = ("4.5", "4", "3.5", "3")
STATUS_LABELS = {
    "draft": _l("Draft"),
    "pending": _l("Waiting for approval"),
    "published": _l("Published"),
    "paused": _l("Paused"),
    "closed": _l("Closed"),
    "hidden": _l("Hidden by moderators"),
}


def _user() -> Any:
    user = current_user._get_current_object() if current_user else None
    return user if getattr(user, "is_authenticated", False) else None


def _currency() -> str:
    return service.site_currency()


@bp.app_context_processor
def listing_helpers() -> dict[str, Any]:
    return {
        "listing_status_label": lambda s: STATUS_LABELS.get(s, s),
        "listing_type_label": lambda n: (
            str(listing_types()[n].label) if n in listing_types() else n
        ),
        "listing_type_template": lambda n, part: (
            listing_types()[n].template(part)
            if n in listing_types()
            else f"listings/parts/{part}.html"
        ),
        "locale_str": locale_code,  # older name of the layout's locale_code()
        "category_of": lambda listing: category_service.category_by_id(listing.category_id),
    }


# ---------------------------------------------------------------------------
# search / browse
# ---------------------------------------------------------------------------


def _float(name: str, errors: dict[str, list[str]]) -> float | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = [str(_l("Enter a number."))]
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors[name] = [str(_l("Enter a number."))]
        return None
    return value


#: search query field -> its name in the search form
FORM_NAMES = {"available_start": "available_from", "available_end": "available_to"}


def _local_datetime(name: str, errors: dict[str, list[str]]) -> datetime | None:
    """A ``datetime-local`` argument, in the site's time zone, as aware UTC."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = [str(_l("Enter a date and time such as 2026-05-01T09:00."))]
        return None
    if value.tzinfo is not None:
        return value
    return local_to_utc(value)


def query_from_args() -> tuple[SearchQuery, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    currency = _currency()
    min_price = price_to_minor(request.args.get("min_price"), currency)
    max_price = price_to_minor(request.args.get("max_price"), currency)
    for name, value in (("min_price", min_price), ("max_price", max_price)):
        if value == -1:
            errors[name] = [str(_l("Enter an amount such as 12.50."))]
    listing_type = request.args.get("type") or None
    if listing_type and listing_type not in listing_types():
        errors["type"] = [str(_l("Unknown listing type."))]
        listing_type = None
    allowed = filterable_attributes(listing_type)
    attributes = {}
    for key, value in request.args.items():
        if key.startswith("attr_") and value != "" and key[5:] in allowed:
            attributes[key[5:]] = value
    lat, lng = _float("lat", errors), _float("lng", errors)
    radius = _float("radius_km", errors)
    min_rating = _float("min_rating", errors)
    if min_rating is not None and not 1 <= min_rating <= 5:
        errors["min_rating"] = [str(_l("Between 1 and 5 stars."))]
        min_rating = None
    if radius is not None and lat is None:
        radius = None
    sort = request.args.get("sort") or None
    if sort not in (None, *SORTS):
        sort = None
    available_start = _local_datetime("available_from", errors)
    available_end = _local_datetime("available_to", errors)
    if (available_start is None) != (available_end is None) and not errors.get("available_to"):
        errors["available_to"] = [str(_l("Give both the start and the end of the period."))]
        available_start = available_end = None
    query = SearchQuery(
        available_start=available_start,
        available_end=available_end,
        q=(request.args.get("q") or "")[:200] or None,
        category=request.args.get("category") or None,
        listing_type=listing_type,
        min_price=None if min_price in (None, -1) else min_price,
        max_price=None if max_price in (None, -1) else max_price,
        min_rating=min_rating,
        lat=lat,
        lng=lng,
        radius_km=radius,
        sort=sort,
        cursor=request.args.get("cursor") or None,
        limit=current_app.extensions["marketplace_kit"].settings.listings["page_size"],
        attributes=attributes,
        facets=True,
    )
    return query, errors


@bp.get("/")
def search():
    query, errors = query_from_args()
    result = None
    try:
        result = search_listings(query)
    except ValidationError as exc:
        errors.update(
            {
                FORM_NAMES.get(k, k): [str(m) for m in v] if isinstance(v, list) else [str(v)]
                for k, v in exc.errors.items()
            }
        )
        query.cursor = None
        try:
            result = search_listings(SearchQuery(q=query.q, limit=query.limit, facets=True))
        except ValidationError:
            result = None
    args = request.args.to_dict()
    next_url = None
    if result is not None and result.next_cursor:
        next_url = url_for("listings.search", **{**args, "cursor": result.next_cursor})
    currency = _currency()
    base = url_for("listings.search")

    def refine(**changes: str) -> str:
        """This search with some arguments changed and the cursor dropped (facet links)."""
        merged = {k: v for k, v in {**args, **changes}.items() if v and k != "cursor"}
        return f"{base}?{urlencode(merged)}" if merged else base

    roots = category_service.tree()
    locale = locale_code()
    return render_template(
        "listings/search.html",
        refine=refine,
        result=result,
        query=query,
        args=args,
        errors=errors,
        next_url=next_url,
        category_options=[
            (n.category.slug, "· " * n.depth + n.category.name(locale))
            for n in category_service.flatten(roots)
        ],
        category_facets=category_facets(
            roots, result.facets["category"] if result and result.facets else {}, refine, locale
        ),
        types=listing_types(),
        filterable=filterable_attributes(query.listing_type),
        bookable=bookable_types(),
        sort_labels=SORT_LABELS,
        min_ratings=MIN_RATINGS,
        price_min_str=minor_to_str(query.min_price, currency),
        price_max_str=minor_to_str(query.max_price, currency),
        can_save=_user() is not None,
    )


def category_facets(
    roots: list[category_service.Node], counts: dict[str, int], refine: Any, locale: str
) -> list[dict[str, Any]]:
    """The category facet as a drill-down: the top-level categories with matches, or, once
    one is chosen, the way back up (links), the chosen one (with its count) and its
    subcategories with matches. ``depth`` indents an entry below the way up."""
    chosen = request.args.get("category")
    path: list[category_service.Node] = []

    def find(nodes: list[category_service.Node]) -> bool:
        for node in nodes:
            path.append(node)
            if node.category.slug == chosen or find(node.children):
                return True
            path.pop()
        return False

    if not chosen or not find(roots):
        return [
            {
                "label": n.category.name(locale),
                "count": counts[n.category.slug],
                "depth": 0,
                "url": refine(category=n.category.slug),
            }
            for n in roots
            if n.category.slug in counts
        ]
    out: list[dict[str, Any]] = [
        {"label": _l("All categories"), "count": None, "depth": 0, "url": refine(category="")}
    ]
    for depth, node in enumerate(path):
        slug = node.category.slug
        current = node is path[-1]
        out.append(
            {
                "label": node.category.name(locale),
                "count": counts.get(slug, 0) if current else None,
                "depth": depth,
                "url": None if current else refine(category=slug),
            }
        )
    out += [
        {
            "label": c.category.name(locale),
            "count": counts[c.category.slug],
            "depth": len(path),
            "url": refine(category=c.category.slug),
        }
        for c in path[-1].children
        if c.category.slug in counts
    ]
    return out


# ---------------------------------------------------------------------------
# detail
# ---------------------------------------------------------------------------


class ActionForm(FlaskForm):
    """A CSRF-only form for POST buttons."""


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(3, 500)])


@bp.get("/<int:listing_id>")
def detail(listing_id: int):
    user = _user()
    listing = service.listing_page(listing_id, user)
    lt = listing_types().get(listing.listing_type)
    attributes = service.visible_attributes(listing, user)
    labels = {}
    shown = {name for scope in attributes.values() for name in scope}
    if lt is not None and shown:
        fields_ = lt.schema_fields()
        labels = {
            name: (fields_[name].metadata or {}).get("label") or name
            for name in shown
            if name in fields_
        }
    from ...core.listings.social import is_favourite

    if listing.status == "published" and (user is None or user.id != listing.author_id):
        from ...core.stats.service import record_view

        record_view(listing.id)
    return render_template(
        "listings/detail.html",
        listing=listing,
        listing_type=lt,
        attributes=attributes,
        labels=labels,
        can_edit=user is not None and can(user, "listing.edit", listing),
        can_moderate=service.is_moderator(user),
        favourite=is_favourite(user, listing) if user else False,
        # anonymous visitors get no POST buttons here, so no CSRF token (and no session cookie)
        action_form=ActionForm() if user is not None else None,
        reject_form=RejectForm() if service.is_moderator(user) else None,
    )


# ---------------------------------------------------------------------------
# create / edit
# ---------------------------------------------------------------------------


@bp.get("/new")
@login_required
def choose_type():
    lt_name = request.args.get("type")
    if lt_name:
        return redirect(url_for("listings.create", type_name=lt_name))
    return render_template("listings/choose_type.html", types=listing_types())


@bp.route("/new/<type_name>", methods=["GET", "POST"])
@login_required
def create(type_name: str):
    if type_name not in listing_types():
        raise NotFound("Unknown listing type.")
    lt = get_listing_type(type_name)
    form = form_class(lt)()
    if form.validate_on_submit():
        data, parse_errors = form_to_data(form, lt, _currency())
        if parse_errors:
            apply_errors(form, parse_errors)
        else:
            try:
                listing = service.create_listing(_user(), listing_type=lt.name, **data)
                commit()
            except ValidationError as exc:
                db.session.rollback()
                for msg in apply_errors(form, exc.errors):
                    flash(msg, "error")
            else:
                flash(_l("Draft saved. Publish it when it is ready."), "success")
                return redirect(url_for("listings.detail", listing_id=listing.id))
    return _render_form(form, lt, None), 200 if request.method == "GET" else 422


def _category_hints(lt: Any) -> list[tuple[str, str, list[str]]]:
    """``(slug, name, [what to mention])`` for the categories whose operators gave hints.

    A hint names an attribute; it is shown with the listing type's label for that attribute
    when the type has one, else as written (the provider can mention it in the description).
    """
    locale = locale_code()
    labels = {
        name: str((f.metadata or {}).get("label") or name) for name, f in lt.schema_fields().items()
    }
    return [
        (
            node.category.slug,
            node.category.name(locale),
            [labels.get(h, h.replace("_", " ")) for h in node.category.attribute_hints],
        )
        for node in category_service.flatten()
        if node.category.attribute_hints
    ]


def _render_form(form: FlaskForm, lt: Any, listing: Any):
    hints = _category_hints(lt)
    chosen = next((h for h in hints if h[0] == form.category.data), None)
    return render_template(
        "listings/form.html",
        form=form,
        listing_type=lt,
        listing=listing,
        attribute_fields=[getattr(form, "attr_" + n) for n in attribute_names(form)],
        currency=_currency(),
        category_hints=hints,
        chosen_hints=chosen,
    )


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int):
    user = _user()
    listing = service.get_listing(listing_id, user)
    if not can(user, "listing.edit", listing):
        abort(403)
    lt = get_listing_type(listing.listing_type)
    form = form_class(lt)()
    if request.method == "GET":
        fill_form(form, listing, service.all_attributes(listing))
    elif form.validate_on_submit():
        data, parse_errors = form_to_data(form, lt, _currency())
        data.pop("currency", None)
        # Attributes left empty in the form are removed.
        for name in attribute_names(form):
            data["attributes"].setdefault(name, None)
        if parse_errors:
            apply_errors(form, parse_errors)
        else:
            try:
                service.update_listing(listing, user, **data)
                commit()
            except ValidationError as exc:
                db.session.rollback()
                for msg in apply_errors(form, exc.errors):
                    flash(msg, "error")
            except MarketplaceError as exc:
                db.session.rollback()
                flash(exc.detail, "error")
            else:
                flash(_l("Changes saved."), "success")
                return redirect(url_for("listings.detail", listing_id=listing.id))
    status = 200 if request.method == "GET" else 422
    return _render_form(form, lt, listing), status


def _status_action(listing_id: int, action: str, message: Any):
    user = _user()
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    listing = service.get_listing(listing_id, user)
    try:
        getattr(service, f"{action}_listing")(listing, user)
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        flash(exc.detail, "error")
    else:
        flash(message if listing.status != "pending" else _l("Sent for approval."), "success")
    return redirect(url_for("listings.detail", listing_id=listing.id))


@bp.post("/<int:listing_id>/publish")
@login_required
def publish(listing_id: int):
    return _status_action(listing_id, "publish", _l("Published."))


@bp.post("/<int:listing_id>/pause")
@login_required
def pause(listing_id: int):
    return _status_action(listing_id, "pause", _l("Paused."))


@bp.post("/<int:listing_id>/close")
@login_required
def close(listing_id: int):
    return _status_action(listing_id, "close", _l("Closed."))


@bp.get("/mine")
@login_required
def mine():
    user = _user()
    status = request.args.get("status") or None
    if status not in (None, *STATUS_LABELS):
        status = None
    return render_template(
        "listings/mine.html",
        listings=service.listings_of(user, status),
        status=status,
        statuses=STATUS_LABELS,
    )


# ---------------------------------------------------------------------------
# favourites and saved searches
# ---------------------------------------------------------------------------


@bp.post("/<int:listing_id>/favourite")
@login_required
def favourite(listing_id: int):
    from ...core.listings import social

    user = _user()
    if not ActionForm().validate_on_submit():
        abort(400)
    listing = service.get_listing(listing_id, user)
    if social.is_favourite(user, listing):
        social.remove_favourite(user, listing=listing)
        flash(_l("Removed from your favourites."), "success")
    else:
        social.add_favourite(user, listing=listing)
        flash(_l("Added to your favourites."), "success")
    commit()
    return redirect(url_for("listings.detail", listing_id=listing.id))


@bp.get("/favourites")
@login_required
def favourites():
    from ...core.listings import social

    return render_template("listings/favourites.html", listings=social.favourite_listings(_user()))


class SaveSearchForm(FlaskForm):
    name = StringField(_l("Name of this search"), validators=[InputRequired(), Length(1, 120)])


@bp.route("/searches", methods=["GET", "POST"])
@login_required
def saved_searches():
    from ...core.listings import social

    user = _user()
    form = SaveSearchForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            query, errors = query_from_args()
            params = {
                "q": query.q,
                "category": query.category,
                "listing_type": query.listing_type,
                "min_price": query.min_price,
                "max_price": query.max_price,
                "min_rating": query.min_rating,
                "lat": query.lat,
                "lng": query.lng,
                "radius_km": query.radius_km,
                "attributes": query.attributes,
            }
            try:
                if errors:
                    raise ValidationError(errors=errors)
                social.save_search(user, form.name.data, params)
                commit()
                flash(_l("Search saved."), "success")
                return redirect(url_for("listings.saved_searches"))
            except ValidationError as exc:
                db.session.rollback()
                for msgs in exc.errors.values():
                    form.name.errors = list(form.name.errors) + [str(m) for m in msgs]
    searches = social.saved_searches_of(user)
    links = {}
    for s in searches:
        args = {k: v for k, v in s.params.items() if k not in ("attributes", "listing_type")}
        if s.params.get("listing_type"):
            args["type"] = s.params["listing_type"]
        for key in ("min_price", "max_price"):
            if key in args:
                args[key] = minor_to_str(args[key], _currency())
        for key, value in (s.params.get("attributes") or {}).items():
            args["attr_" + key] = value
        links[s.id] = url_for("listings.search", **args)
    return render_template(
        "listings/saved_searches.html",
        searches=searches,
        links=links,
        form=form,
        action_form=ActionForm(),
    ), status


@bp.post("/searches/<int:saved_id>/delete")
@login_required
def delete_saved_search(saved_id: int):
    from ...core.listings import social

    if not ActionForm().validate_on_submit():
        abort(400)
    social.delete_saved_search(_user(), saved_id)
    commit()
    flash(_l("Saved search deleted."), "success")
    return redirect(url_for("listings.saved_searches"))


# ---------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------


class ImageForm(FlaskForm):
    image = FileField(_l("Image (JPEG, PNG, GIF or WebP)"), validators=[FileRequired()])


@bp.get("/<int:listing_id>/images/<int:image_id>")
@bp.get("/<int:listing_id>/images/<int:image_id>/thumb", endpoint="thumbnail")
def image(listing_id: int, image_id: int):
    from ...core.listings import images as image_service

    listing = service.get_listing(listing_id, _user())
    img = image_service.get_image(listing, image_id)
    if request.path.endswith("/thumb"):
        path, mimetype = image_service.thumbnail_file(img), "image/webp"
    else:
        path, mimetype = image_service.image_file(img), img.content_type
    if not path.exists():
        raise NotFound("No such image.")
    resp = send_file(path, mimetype=mimetype, max_age=86400)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/<int:listing_id>/images", methods=["GET", "POST"])
@login_required
def images(listing_id: int):
    from ...core.listings import images as image_service

    user = _user()
    listing = service.get_listing(listing_id, user)
    if not can(user, "listing.edit", listing):
        abort(403)
    form = ImageForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                image_service.add_image(listing, user, form.image.data.read())
                commit()
                flash(_l("Image added."), "success")
                return redirect(url_for("listings.images", listing_id=listing.id))
            except ValidationError as exc:
                db.session.rollback()
                form.image.errors = list(form.image.errors) + [
                    str(m) for m in exc.errors.get("image", [])
                ]
    return render_template(
        "listings/images.html", listing=listing, form=form, action_form=ActionForm()
    ), status


@bp.post("/<int:listing_id>/images/<int:image_id>/delete")
@login_required
def delete_image(listing_id: int, image_id: int):
    from ...core.listings import images as image_service

    user = _user()
    if not ActionForm().validate_on_submit():
        abort(400)
    listing = service.get_listing(listing_id, user)
    image_service.remove_image(listing, user, image_id)
    commit()
    flash(_l("Image removed."), "success")
    return redirect(url_for("listings.images", listing_id=listing.id))


@bp.post("/<int:listing_id>/images/<int:image_id>/first")
@login_required
def first_image(listing_id: int, image_id: int):
    from ...core.listings import images as image_service

    user = _user()
    if not ActionForm().validate_on_submit():
        abort(400)
    listing = service.get_listing(listing_id, user)
    ids = [i.id for i in listing.images]
    if image_id not in ids:
        raise NotFound("No such image.")
    image_service.reorder_images(listing, user, [image_id] + [i for i in ids if i != image_id])
    commit()
    return redirect(url_for("listings.images", listing_id=listing.id))
