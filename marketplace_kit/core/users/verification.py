"""Identity and business verification: submit, review, decide.

The fields of each kind come from ``[verification] identity_fields`` /
``business_fields``; plugins add more with ``mk_register_verification_fields``.
Documents are stored through the storage backend (never public) and must be
an image (PNG, JPEG, GIF, WebP) or a PDF. An approval raises the user's
``verification_level`` to the kind's level; a rejection needs a reason. The
decision is audited and announced with ``mk_verification_decided``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import Conflict, NotFound, ValidationError
from ...events import emit
from ...extensions import db
from ..access import require
from ..db import utcnow
from ..storage import storage
from .accounts import audit
from .models import User, VerificationRequest
from .profiles import IMAGE_TYPES, image_type
from .service import get_row

KINDS = ("identity", "business")
DOCUMENT_TYPES = {**IMAGE_TYPES, "pdf": "application/pdf"}


@dataclass(frozen=True)
class VerificationField:
    """One field of a verification kind (``identity`` or ``business``).

    ``document`` fields are file uploads; others are one-line text.
    """

    kind: str
    name: str
    label: str
    required: bool = True
    document: bool = False


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.verification


def level_of(kind: str) -> int:
    return _settings()[f"{kind}_level"]


def fields_for(kind: str, app: Flask | None = None) -> list[VerificationField]:
    from ...app import state

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault("mk_verification_fields", {})
    if kind not in cache:
        settings = state(app).settings.verification
        out = [VerificationField(kind=kind, **f) for f in settings[f"{kind}_fields"]]
        collected = state(app).pm.collect(
            "mk_register_verification_fields",
            "verification field",
            key=lambda f: f"{f.kind}.{f.name}",
            app=app,
        )
        names = {f.name for f in out}
        for _key, (plugin, field) in collected.items():
            if field.kind != kind:
                continue
            if field.name in names:
                from ...errors import PluginError

                raise PluginError(
                    f"plugin {plugin!r} adds verification field {kind}.{field.name}, "
                    "which the configuration already defines"
                )
            out.append(field)
        cache[kind] = out
    return cache[kind]


def document_type(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    return image_type(data)


def kinds_for(user: User) -> list[str]:
    return ["identity", "business"] if user.is_business else ["identity"]


def submit(
    user: User,
    kind: str,
    data: dict[str, str],
    files: dict[str, bytes],
    *,
    ip: str | None = None,
) -> VerificationRequest:
    if kind not in kinds_for(user):
        raise ValidationError(errors={"kind": [str(_l("This verification is not available."))]})
    pending = db.session.scalar(
        select(VerificationRequest).where(
            VerificationRequest.user_id == user.id,
            VerificationRequest.kind == kind,
            VerificationRequest.status == "pending",
        )
    )
    if pending is not None:
        raise Conflict(str(_l("A request of this kind is already waiting for review.")))
    max_kb = _settings()["document_max_kb"]
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    uploads: dict[str, tuple[bytes, str]] = {}
    for field in fields_for(kind):
        if field.document:
            blob = files.get(field.name) or b""
            if not blob:
                if field.required:
                    errors[field.name] = [str(_l("Attach this document."))]
                continue
            kind_of = document_type(blob)
            if kind_of is None:
                errors[field.name] = [str(_l("Upload a PDF or an image (PNG, JPEG, GIF, WebP)."))]
            elif len(blob) > max_kb * 1024:
                errors[field.name] = [str(_l("At most %(n)s KB.", n=max_kb))]
            else:
                uploads[field.name] = (blob, kind_of)
        else:
            value = (data.get(field.name) or "").strip()
            if not value and field.required:
                errors[field.name] = [str(_l("This field is required."))]
            elif len(value) > 500:
                errors[field.name] = [str(_l("At most %(n)s characters.", n=500))]
            elif value:
                values[field.name] = value
    if errors:
        raise ValidationError(str(_l("Please correct the marked fields.")), errors=errors)
    documents = {}
    for name, (blob, kind_of) in uploads.items():
        key = f"verification/{user.id}-{kind}-{name}-{secrets.token_hex(8)}.{kind_of}"
        storage().save(key, blob)
        documents[name] = {"key": key, "type": DOCUMENT_TYPES[kind_of], "size": len(blob)}
    req = VerificationRequest(
        user_id=user.id,
        kind=kind,
        level=level_of(kind),
        status="pending",
        data=values,
        documents=documents,
    )
    db.session.add(req)
    db.session.flush()
    audit("verification_submitted", user=user, actor=user, ip=ip, request=req.id, verification=kind)
    return req


def requests_of(user: User) -> list[VerificationRequest]:
    return list(
        db.session.scalars(
            select(VerificationRequest)
            .where(VerificationRequest.user_id == user.id)
            .order_by(VerificationRequest.id.desc())
        )
    )


def queue(status: str = "pending") -> list[VerificationRequest]:
    query = select(VerificationRequest).order_by(VerificationRequest.id)
    if status != "all":
        query = query.where(VerificationRequest.status == status)
    return list(db.session.scalars(query))


def get_request(request_id: int) -> VerificationRequest:
    req = get_row(VerificationRequest, request_id)
    if req is None:
        raise NotFound(str(_l("No such verification request.")))
    return req


def decide(
    operator: User,
    req: VerificationRequest,
    *,
    approve: bool,
    reason: str = "",
    ip: str | None = None,
) -> VerificationRequest:
    require(operator, "operator.review_verification", req)
    if req.status != "pending":
        raise Conflict(str(_l("This request was already decided.")))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError(
            str(_l("Give a reason for the rejection.")),
            errors={"reason": [str(_l("Required when rejecting."))]},
        )
    if len(reason) > 2000:
        raise ValidationError(errors={"reason": [str(_l("At most %(n)s characters.", n=2000))]})
    req.status = "approved" if approve else "rejected"
    req.reason = reason or None
    req.reviewer_id = operator.id
    req.decided_at = utcnow()
    user = req.user
    if approve:
        user.verification_level = max(user.verification_level or 0, req.level)
    audit(
        "verification_decided",
        user=user,
        actor=operator,
        ip=ip,
        request=req.id,
        decision=req.status,
        level=user.verification_level,
    )
    emit("mk_verification_decided", request=req, user=user)
    return req


def level_label(level: int) -> str:
    s = _settings()
    if level >= s["business_level"]:
        return str(_l("Verified business"))
    if level >= s["identity_level"]:
        return str(_l("Verified identity"))
    return str(_l("Not verified"))
