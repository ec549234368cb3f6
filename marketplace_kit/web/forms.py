"""Small helpers shared by page forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from ..errors import ValidationError


def apply_errors(form: FlaskForm, exc: ValidationError) -> None:
    """Show a service's field errors next to the form's fields (others on top)."""
    for name, messages in (exc.errors or {}).items():
        msgs = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *msgs]
        else:
            form.form_errors.extend(msgs)
    if not exc.errors:
        form.form_errors.append(str(exc.detail))


try:  # WTForms >= 3.3 declares options as SelectChoice (tuples are deprecated there)
    from wtforms.fields.choices import SelectChoice as _SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    _SelectChoice = None


def choice(value: str, label: Any) -> Any:
    """One option of a select or radio field, for any supported WTForms version."""
    if _SelectChoice is None:  # pragma: no cover
        return (value, label)
    return _SelectChoice(value, label)
