"""Avatars and plugin profile sections.

Avatars are checked by content (magic bytes), not by file name or the
browser's content type: PNG, JPEG, GIF and WebP up to ``[users] avatar_max_kb``.

Plugins add profile fields with ``mk_register_profile_sections``: each
:class:`ProfileSection` names a marshmallow schema whose fields appear on the
profile form; the loaded values are kept in ``user.extended_data[key]`` and,
when ``public``, shown on the public profile page and in the API.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from marshmallow import ValidationError as MMValidationError

from ...errors import ValidationError
from ..storage import storage
from .models import User

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def image_type(data: bytes) -> str | None:
    """``png`` / ``jpg`` / ``gif`` / ``webp`` from the first bytes, else ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def set_avatar(user: User, data: bytes) -> str:
    """Store ``data`` as ``user``'s avatar (replacing the old one); return its key."""
    from ...app import state

    max_kb = state(current_app).settings.users["avatar_max_kb"]
    if not data:
        raise ValidationError(errors={"avatar": [str(_l("Choose an image file."))]})
    if len(data) > max_kb * 1024:
        raise ValidationError(
            str(_l("The image is too large.")),
            errors={"avatar": [str(_l("At most %(n)s KB.", n=max_kb))]},
        )
    kind = image_type(data)
    if kind is None:
        raise ValidationError(
            str(_l("This is not an image we accept.")),
            errors={"avatar": [str(_l("Upload a PNG, JPEG, GIF or WebP image."))]},
        )
    key = f"avatars/{user.id}-{secrets.token_hex(8)}.{kind}"
    storage().save(key, data)
    old = user.avatar_key
    user.avatar_key = key
    if old:
        storage().delete(old)
    return key


def remove_avatar(user: User) -> None:
    if user.avatar_key:
        storage().delete(user.avatar_key)
    user.avatar_key = None


@dataclass(frozen=True)
class ProfileSection:
    """Fields a plugin adds to profiles.

    ``key`` names the section (use your plugin name); ``schema`` is a
    marshmallow schema class whose fields may carry ``metadata={"label": ...,
    "description": ...}``; ``public`` sections show on the public profile.
    """

    key: str
    title: str
    schema: type[Schema]
    public: bool = True


def profile_sections(app: Flask | None = None) -> list[ProfileSection]:
    from ...app import state

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("mk_profile_sections")
    if cached is None:
        collected = state(app).pm.collect(
            "mk_register_profile_sections", "profile section", key=lambda s: s.key, app=app
        )
        cached = [section for _name, (_plugin, section) in collected.items()]
        app.extensions["mk_profile_sections"] = cached
    return cached


def section_values(user: User, section: ProfileSection) -> dict[str, Any]:
    return dict((user.extended_data or {}).get(section.key) or {})


def update_sections(user: User, raw: dict[str, dict[str, Any]]) -> None:
    """Validate and store plugin profile values: ``{section key: {field: value}}``.

    Errors come back keyed ``"<section>.<field>"``; nothing is stored then.
    """
    sections = {s.key: s for s in profile_sections()}
    errors: dict[str, list[str]] = {}
    loaded: dict[str, dict[str, Any]] = {}
    for key, values in raw.items():
        section = sections.get(key)
        if section is None:
            errors[key] = [str(_l("Unknown profile section."))]
            continue
        try:
            loaded[key] = section.schema().load(values)
        except MMValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
            for name, msgs in messages.items():
                msgs = msgs if isinstance(msgs, list) else [msgs]
                errors[f"{key}.{name}"] = [str(m) for m in msgs]
    if errors:
        raise ValidationError(str(_l("Please correct the marked fields.")), errors=errors)
    data = dict(user.extended_data or {})
    for key, values in loaded.items():
        data[key] = section_values(user, sections[key]) | _jsonable(values)
    user.extended_data = data


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        out[k] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


def public_sections(user: User) -> list[tuple[ProfileSection, dict[str, Any]]]:
    return [
        (s, section_values(user, s))
        for s in profile_sections()
        if s.public and section_values(user, s)
    ]
