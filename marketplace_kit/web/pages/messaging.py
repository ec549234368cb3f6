"""Messaging pages: inbox, conversation view, contact a provider, order conversation.

Everything works without JavaScript: forms post and redirect back. Viewing a
conversation changes nothing (no state change on GET); sending a message
marks the conversation read for the sender, and "Mark as read" does so
explicitly.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import TextAreaField

from ...core.access import can
from ...core.listings.models import Listing
from ...core.messaging import service
from ...core.messaging.models import Conversation, Message
from ...core.orders.views import visible_order
from ...core.users.service import MAX_ID
from ...errors import MarketplaceError, NotFound
from ...events import commit
from ...extensions import db
from ..ratelimit import limit

bp = Blueprint("messaging", __name__)

SEND_LIMIT = "20 per minute"


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"))
    attachments = MultipleFileField(_l("Attachments (PNG, JPEG, GIF, WebP or PDF)"))


class ActionForm(FlaskForm):
    pass


def _user() -> Any:
    return current_user._get_current_object()


def _files() -> list[tuple[str, bytes]]:
    cap = service.settings()["max_attachment_bytes"] + 1
    out = []
    for storage in request.files.getlist("attachments"):
        if storage and storage.filename:
            out.append((storage.filename, storage.stream.read(cap)))
    return out


def _apply_errors(form: FlaskForm, exc: MarketplaceError) -> None:
    placed = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [str(m) for m in messages]
            placed = True
    if not placed:
        form.form_errors.append(exc.detail)


def _messages_context(conversation: Conversation, messages: list[Message]) -> dict[str, Any]:
    """What ``messaging/_message.html`` needs to show ``messages`` to the current user."""
    user = _user()
    masked = service.masking_applies(conversation)
    return {
        "conversation": conversation,
        "messages": messages,
        "body_of": lambda m: service.visible_body(m, masked),
        "masked": masked,
        "sees_hidden": service.sees_hidden(user),
        "participant": user.id in conversation.participant_ids,
    }


def _conversation_context(conversation: Conversation, form: MessageForm | None = None):
    user = _user()
    ctx = _messages_context(conversation, service.messages_of(conversation, user))
    other = conversation.other(user) if ctx["participant"] else None
    return {
        **ctx,
        "other": other,
        "blocked": other is not None and service.is_blocked(user.id, other.id),
        "unread": service.unread_count(conversation, user) if ctx["participant"] else 0,
        "form": form or MessageForm(),
        "action_form": ActionForm(),
    }


@bp.app_template_global("order_conversation")
def order_conversation(order: Any) -> dict[str, Any] | None:
    """For the order page: the viewer's conversation about ``order`` and its unread count."""
    user = _user()
    if not getattr(user, "is_authenticated", False):
        return None
    conversation = service.conversation_for_order(order)
    if conversation is None:
        return {"conversation": None, "unread": 0, "can_start": user.id in order.party_ids}
    if not can(user, "conversation.view", conversation):
        return None
    unread = service.unread_count(conversation, user) if user.id in order.party_ids else 0
    return {"conversation": conversation, "unread": unread, "can_start": False}


@bp.get("/messages")
@login_required
def inbox():
    rows = service.inbox_of(_user())
    return render_template("messaging/inbox.html", rows=rows, user=_user())


@bp.get("/messages/<int:conversation_id>")
@login_required
def conversation(conversation_id: int):
    conv = service.visible_conversation(conversation_id, _user())
    return render_template("messaging/conversation.html", **_conversation_context(conv))


@bp.get("/messages/<int:conversation_id>/since/<int:after_id>")
@login_required
def since(conversation_id: int, after_id: int):
    """The messages newer than ``after_id`` as an HTML fragment (the page's script polls it)."""
    conv = service.visible_conversation(conversation_id, _user())
    messages = service.messages_of(conv, _user(), after_id=min(after_id, MAX_ID))
    html = ""
    if messages:  # most polls find nothing new: then nothing else is asked of the database
        ctx = _messages_context(conv, messages)
        html = "".join(
            render_template("messaging/_message.html", m=m, latest=False, **ctx) for m in messages
        )
    resp = make_response(html)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/messages/<int:conversation_id>")
@login_required
@limit(SEND_LIMIT)
def send(conversation_id: int):
    conv = service.visible_conversation(conversation_id, _user())
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service.send_message(conv, _user(), form.body.data, _files())
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            ctx = _conversation_context(conv, form)
            return render_template("messaging/conversation.html", **ctx), exc.status
        return redirect(url_for("messaging.conversation", conversation_id=conv.id) + "#latest")
    return render_template("messaging/conversation.html", **_conversation_context(conv, form)), 422


@bp.post("/messages/<int:conversation_id>/read")
@login_required
def mark_read(conversation_id: int):
    conv = service.visible_conversation(conversation_id, _user())
    if ActionForm().validate_on_submit() and _user().id in conv.participant_ids:
        service.mark_read(conv, _user())
        commit()
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.post("/messages/<int:conversation_id>/block")
@login_required
def block(conversation_id: int):
    conv = service.visible_conversation(conversation_id, _user())
    if ActionForm().validate_on_submit() and _user().id in conv.participant_ids:
        service.block(_user(), conv.other(_user()).id)
        commit()
        flash(_("You will not receive messages from this user."), "info")
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.post("/messages/<int:conversation_id>/unblock")
@login_required
def unblock(conversation_id: int):
    conv = service.visible_conversation(conversation_id, _user())
    if ActionForm().validate_on_submit() and _user().id in conv.participant_ids:
        service.unblock(_user(), conv.other(_user()).id)
        commit()
    return redirect(url_for("messaging.conversation", conversation_id=conv.id))


@bp.get("/messages/<int:conversation_id>/attachments/<int:message_id>/<int:index>")
@login_required
def attachment(conversation_id: int, message_id: int, index: int):
    conv = service.visible_conversation(conversation_id, _user())
    message = db.session.get(Message, message_id)
    if message is None or message.conversation_id != conv.id:
        raise NotFound("No such attachment.")
    meta, data = service.read_attachment(message, index, _user())
    response = Response(data, mimetype=meta["content_type"])
    disposition = "inline" if meta["content_type"].startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="file-{index}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _start(target: dict[str, Any], title: str, back: str):
    form = MessageForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            conv, _message = service.start_conversation(
                _user(), body=form.body.data, files=_files(), **target
            )
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            ctx = {"form": form, "title": title, "back": back}
            return render_template("messaging/start.html", **ctx), exc.status
        return redirect(url_for("messaging.conversation", conversation_id=conv.id) + "#latest")
    status = 422 if request.method == "POST" else 200
    return render_template("messaging/start.html", form=form, title=title, back=back), status


@bp.route("/listings/<int:listing_id>/contact", methods=["GET", "POST"])
@login_required
@limit(SEND_LIMIT, methods=["POST"])
def contact(listing_id: int):
    listing = db.session.get(Listing, listing_id)
    if listing is None or (listing.status != "published" and listing.author_id != _user().id):
        raise NotFound("No such listing.")
    existing = service.conversation_for_listing(listing, _user())
    if existing is not None and request.method == "GET":
        return redirect(url_for("messaging.conversation", conversation_id=existing.id))
    title = _(
        "Contact %(name)s about “%(title)s”", name=listing.author.display_name, title=listing.title
    )
    back = url_for("listings.detail", listing_id=listing.id)
    return _start({"listing": listing}, title, back)


@bp.route("/orders/<int:order_id>/messages", methods=["GET", "POST"])
@login_required
@limit(SEND_LIMIT, methods=["POST"])
def order_messages(order_id: int):
    order = visible_order(order_id, _user())
    existing = service.conversation_for_order(order)
    if existing is not None:
        if not can(_user(), "conversation.view", existing):
            raise NotFound("No such conversation.")
        if request.method == "GET":
            return redirect(url_for("messaging.conversation", conversation_id=existing.id))
    if _user().id not in order.party_ids:
        raise NotFound("No such conversation.")
    title = _("Messages about order #%(id)s", id=order.id)
    return _start({"order": order}, title, url_for("orders.order_page", order_id=order.id))
