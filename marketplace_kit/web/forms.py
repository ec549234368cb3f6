"""Small helpers shared by page forms."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError as FieldError

from ..errors import ValidationError
from ..money import Money

#: Largest amount a form accepts, in minor units (far below BIGINT).
MAX_MINOR = 10**15


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


class AmountField(StringField):
    """Money typed in major units ("25.00"); after validation ``minor`` holds minor units.

    Set ``form.<field>.currency`` before validating when it is not the site's
    currency. Empty input leaves ``minor`` as ``None`` (add ``InputRequired``
    to demand a value); anything else that is not a positive amount in that
    currency's precision is a field error.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency: str | None = None
        self.minor: int | None = None

    def pre_validate(self, form: Any) -> None:
        from ..app import state

        self.minor = None
        raw = (self.data or "").strip()
        if not raw:
            return
        currency = self.currency or state(current_app).settings.site["currency"]
        try:
            money = Money.from_decimal(Decimal(raw), currency)
        except (InvalidOperation, ValueError):
            raise FieldError(_("Enter an amount such as 25.00.")) from None
        if not 0 < money.amount <= MAX_MINOR:
            raise FieldError(_("Enter an amount above zero."))
        self.minor = money.amount
