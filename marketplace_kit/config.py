"""``marketplace.toml`` -> validated :class:`Settings`.

Sources, later ones winning: built-in defaults, the TOML file (or mapping),
environment overrides for secrets and URLs (``SECRET_KEY``, ``DATABASE_URL``,
``REDIS_URL``, ``MARKETPLACE_BASE_URL``). Every problem is reported with the
file, the ``[section] key`` and what was expected; see ``docs/configuration.md``.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from marshmallow import RAISE, Schema, fields, post_load, validate, validates_schema
from marshmallow import ValidationError as MMValidationError

from .errors import ConfigError
from .money import is_currency

CONFIG_ENV = "MARKETPLACE_CONFIG"
PLUGIN_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _locale(value: str) -> bool:
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError, TypeError):
        raise MMValidationError(f"{value!r} is not a known locale (e.g. en, zh_Hans, ru)") from None
    return True


def _currency(value: str) -> bool:
    if not is_currency(value):
        raise MMValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, CNY)")
    return True


def _timezone(value: str) -> bool:
    if value not in available_timezones():
        raise MMValidationError(f"{value!r} is not an IANA time zone (e.g. UTC, Asia/Shanghai)")
    return True


_COLOR = validate.Regexp(
    r"^(#[0-9a-fA-F]{3,8}|[a-z]+|(rgb|hsl)a?\([0-9., %]+\))$",
    error="must be a CSS colour such as #1a73e8",
)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SiteSchema(_Strict):
    name = fields.String(load_default="marketplace-kit", validate=validate.Length(1, 120))
    tagline = fields.String(load_default="")
    base_url = fields.Url(load_default="http://localhost:5000", require_tld=False)
    default_locale = fields.String(load_default="en", validate=_locale)
    locales = fields.List(
        fields.String(validate=_locale),
        load_default=lambda: ["en", "zh_Hans", "ru"],
        validate=validate.Length(min=1),
    )
    currency = fields.String(load_default="USD", validate=_currency)
    timezone = fields.String(load_default="UTC", validate=_timezone)
    contact_email = fields.Email(load_default="operator@example.com")

    @validates_schema
    def _default_in_locales(self, data: dict[str, Any], **_: Any) -> None:
        if data["default_locale"] not in data["locales"]:
            raise MMValidationError(
                f"default_locale {data['default_locale']!r} must be one of locales {data['locales']}",
                "default_locale",
            )


class FooterLinkSchema(_Strict):
    label = fields.String(required=True)
    url = fields.String(required=True, validate=validate.Length(1, 500))


class ThemeSchema(_Strict):
    name = fields.String(load_default="default")
    logo = fields.String(load_default=None, allow_none=True)
    favicon = fields.String(load_default=None, allow_none=True)
    primary_color = fields.String(load_default="#1f6feb", validate=_COLOR)
    accent_color = fields.String(load_default="#f78166", validate=_COLOR)
    background_color = fields.String(load_default="#ffffff", validate=_COLOR)
    text_color = fields.String(load_default="#1f2328", validate=_COLOR)
    font_stack = fields.String(
        load_default="system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'PingFang SC', sans-serif"
    )
    custom_css = fields.String(load_default=None, allow_none=True)
    templates_folder = fields.String(load_default=None, allow_none=True)
    static_folder = fields.String(load_default=None, allow_none=True)
    footer_links = fields.List(fields.Nested(FooterLinkSchema), load_default=list)


class LandingStepSchema(_Strict):
    title = fields.String(required=True, validate=validate.Length(1, 120))
    text = fields.String(load_default="", validate=validate.Length(max=500))


class LandingCopySchema(_Strict):
    """The home page's words in one locale; anything left out falls back."""

    headline = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200))
    lead = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    cta_label = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60))
    cta_url = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))
    steps = fields.List(fields.Nested(LandingStepSchema), load_default=list)


class LandingSchema(_Strict):
    copy = fields.Dict(
        keys=fields.String(validate=_locale),
        values=fields.Nested(LandingCopySchema),
        load_default=dict,
    )
    featured = fields.List(
        fields.Integer(validate=validate.Range(1, 2**31 - 1)),
        load_default=list,
        validate=validate.Length(max=24),
    )
    recent = fields.Integer(load_default=8, validate=validate.Range(0, 48))
    categories = fields.Boolean(load_default=True)


class DatabaseSchema(_Strict):
    url = fields.String(load_default=None, allow_none=True)
    echo = fields.Boolean(load_default=False)
    pool_size = fields.Integer(load_default=5, validate=validate.Range(1, 200))
    sqlite_cache_mb = fields.Integer(load_default=32, validate=validate.Range(1, 4096))
    pg_parallel_workers = fields.Integer(load_default=0, validate=validate.Range(0, 64))


class FeeRuleSchema(_Strict):
    """One fee rule; rules are tried in order and the first match wins."""

    name = fields.String(required=True)
    listing_type = fields.String(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)
    provider = fields.Integer(load_default=None, allow_none=True)
    charged_to = fields.String(
        load_default="provider", validate=validate.OneOf(["provider", "customer", "both"])
    )
    percent = fields.Decimal(
        load_default=None, allow_none=True, places=4, validate=validate.Range(0, 100)
    )
    fixed = fields.Integer(load_default=0, validate=validate.Range(min=0))
    minimum = fields.Integer(load_default=0, validate=validate.Range(min=0))
    maximum = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))

    @validates_schema
    def _bounds(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("maximum") is not None and data["maximum"] < data["minimum"]:
            raise MMValidationError("maximum must not be below minimum", "maximum")


class FeesSchema(_Strict):
    rules = fields.List(fields.Nested(FeeRuleSchema), load_default=list)


class CancellationBandSchema(_Strict):
    before = fields.String(required=True, validate=validate.Regexp(r"^\d+[smhdw]$"))
    refund_percent = fields.Integer(required=True, validate=validate.Range(0, 100))


class CancellationPolicySchema(_Strict):
    bands = fields.List(fields.Nested(CancellationBandSchema), load_default=list)
    otherwise = fields.Integer(load_default=0, validate=validate.Range(0, 100))


class OrdersSchema(_Strict):
    """Orders, payouts and disputes (see docs/configuration.md)."""

    processes = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    default_process = fields.String(load_default="purchase")
    payment_providers = fields.List(fields.String(), load_default=lambda: ["sandbox", "manual"])
    sandbox_webhook_secret = fields.String(load_default=None, allow_none=True)
    auto_accept_days = fields.Integer(load_default=7, validate=validate.Range(1, 365))
    dispute_window_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    dispute_response_days = fields.Integer(load_default=5, validate=validate.Range(1, 365))
    booking_release_hours = fields.Integer(load_default=24, validate=validate.Range(0, 24 * 90))
    dispute_unanswered = fields.String(
        load_default="opener_wins", validate=validate.OneOf(["opener_wins", "operator_decides"])
    )
    payout_minimum = fields.Integer(load_default=1000, validate=validate.Range(min=1))
    payout_holding_days = fields.Integer(load_default=7, validate=validate.Range(min=0))
    cancellation_policy = fields.Nested(
        CancellationPolicySchema,
        load_default=lambda: {
            "bands": [
                {"before": "7d", "refund_percent": 100},
                {"before": "1d", "refund_percent": 50},
            ],
            "otherwise": 0,
        },
    )


class SecuritySchema(_Strict):
    trusted_hosts = fields.List(fields.String(), load_default=None, allow_none=True)
    session_lifetime_hours = fields.Integer(
        load_default=24 * 14, validate=validate.Range(1, 24 * 365)
    )
    max_content_length_mb = fields.Integer(load_default=16, validate=validate.Range(1, 1024))
    force_https = fields.Boolean(load_default=False)
    expose_plugin_list = fields.Boolean(load_default=False)


class JobsSchema(_Strict):
    immediate = fields.Boolean(load_default=False)
    workers = fields.Integer(load_default=2, validate=validate.Range(1, 64))


class UsersSchema(_Strict):
    """Accounts: registration, passwords, lockout, tokens sent by email."""

    allow_registration = fields.Boolean(load_default=True)
    require_confirmed_email = fields.Boolean(load_default=False)
    min_password_length = fields.Integer(load_default=10, validate=validate.Range(8, 128))
    lockout_threshold = fields.Integer(load_default=5, validate=validate.Range(1, 100))
    lockout_minutes = fields.Integer(load_default=15, validate=validate.Range(1, 24 * 60))
    confirm_token_hours = fields.Integer(load_default=48, validate=validate.Range(1, 24 * 30))
    reset_token_hours = fields.Integer(load_default=2, validate=validate.Range(1, 72))
    max_token_days = fields.Integer(load_default=365, validate=validate.Range(1, 3650))
    avatar_max_kb = fields.Integer(load_default=2048, validate=validate.Range(16, 20480))
    #: only signed-in users see pages and the API (login, registration and reset stay open)
    private = fields.Boolean(load_default=False)
    #: registration needs an invitation sent by an operator
    invite_only = fields.Boolean(load_default=False)
    #: when set, only addresses in these domains may register (invitations excepted)
    allowed_email_domains = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z0-9.-]+\.[a-z]{2,}$")), load_default=list
    )
    invitation_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))


class MailSchema(_Strict):
    """Outgoing email. ``file`` keeps each message as JSON under the instance folder."""

    backend = fields.String(load_default="file", validate=validate.OneOf(["file", "smtp"]))
    from_address = fields.Email(load_default="no-reply@example.com")
    outbox_folder = fields.String(load_default="mail-outbox")
    smtp_host = fields.String(load_default="localhost")
    smtp_port = fields.Integer(load_default=587, validate=validate.Range(1, 65535))
    smtp_username = fields.String(load_default=None, allow_none=True)
    smtp_security = fields.String(
        load_default="starttls", validate=validate.OneOf(["none", "starttls", "ssl"])
    )
    smtp_timeout = fields.Integer(load_default=10, validate=validate.Range(1, 300))


class NotificationsSchema(_Strict):
    """Notification delivery (email, plugin channels) and operator webhooks."""

    max_attempts = fields.Integer(load_default=8, validate=validate.Range(1, 50))
    backoff_seconds = fields.Integer(load_default=60, validate=validate.Range(0, 86_400))
    backoff_max_seconds = fields.Integer(load_default=6 * 3600, validate=validate.Range(0, 604_800))
    webhook_timeout = fields.Integer(load_default=5, validate=validate.Range(1, 60))
    webhook_tolerance_seconds = fields.Integer(load_default=300, validate=validate.Range(1, 86_400))
    #: a delivery left in ``sending`` this long (its worker died) is tried again
    sending_timeout_seconds = fields.Integer(load_default=900, validate=validate.Range(30, 86_400))


class ModerationSchema(_Strict):
    """Reports and moderation decisions (see docs/moderation.md)."""

    max_reports_per_hour = fields.Integer(load_default=10, validate=validate.Range(1, 1000))
    suspension_days = fields.Integer(load_default=7, validate=validate.Range(1, 3650))


class VerificationFieldSchema(_Strict):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    label = fields.String(required=True, validate=validate.Length(1, 200))
    required = fields.Boolean(load_default=True)
    document = fields.Boolean(load_default=False)


def _default_identity_fields() -> list[dict[str, Any]]:
    return [
        {"name": "full_name", "label": "Full legal name", "required": True, "document": False},
        {"name": "date_of_birth", "label": "Date of birth", "required": True, "document": False},
        {
            "name": "id_document",
            "label": "Photo or scan of an ID document",
            "required": True,
            "document": True,
        },
    ]


def _default_business_fields() -> list[dict[str, Any]]:
    return [
        {
            "name": "legal_name",
            "label": "Registered company name",
            "required": True,
            "document": False,
        },
        {
            "name": "registration_number",
            "label": "Registration number",
            "required": True,
            "document": False,
        },
        {
            "name": "registration_document",
            "label": "Certificate of registration",
            "required": True,
            "document": True,
        },
    ]


class VerificationSchema(_Strict):
    """Identity and business verification, and what requires it."""

    identity_level = fields.Integer(load_default=1, validate=validate.Range(1, 100))
    business_level = fields.Integer(load_default=2, validate=validate.Range(1, 100))
    identity_fields = fields.List(
        fields.Nested(VerificationFieldSchema), load_default=_default_identity_fields
    )
    business_fields = fields.List(
        fields.Nested(VerificationFieldSchema), load_default=_default_business_fields
    )
    document_max_kb = fields.Integer(load_default=5120, validate=validate.Range(16, 51200))
    #: minimum verification level for these actions (0: no verification needed)
    publish_listings = fields.Integer(load_default=0, validate=validate.Range(0, 100))
    accept_orders = fields.Integer(load_default=0, validate=validate.Range(0, 100))
    payouts = fields.Integer(load_default=0, validate=validate.Range(0, 100))


class StorageSchema(_Strict):
    """Uploaded files (avatars, verification documents)."""

    backend = fields.String(load_default="local", validate=validate.OneOf(["local"]))
    folder = fields.String(load_default="uploads")


class MessagingSchema(_Strict):
    """Conversations between users (see docs/configuration.md, [messaging])."""

    #: hide emails, phone numbers and links in messages until the order is paid
    mask_contacts = fields.Boolean(load_default=False)
    #: order states that count as "paid" for masking (entered at least once)
    paid_states = fields.List(
        fields.String(validate=validate.Length(1, 64)), load_default=lambda: ["paid"]
    )
    max_length = fields.Integer(load_default=4000, validate=validate.Range(1, 100_000))
    max_attachments = fields.Integer(load_default=5, validate=validate.Range(0, 20))
    max_attachment_bytes = fields.Integer(
        load_default=5 * 1024 * 1024, validate=validate.Range(1, 100 * 1024 * 1024)
    )


#: The core's reputation factors and their default weights (see docs/trust.md).
TRUST_FACTORS = (
    "rating",
    "completed_orders",
    "on_time",
    "cancellations",
    "disputes",
    "verification",
    "account_age",
)
_DEFAULT_TRUST_WEIGHTS = {
    "rating": 40,
    "completed_orders": 15,
    "on_time": 10,
    "cancellations": 10,
    "disputes": 10,
    "verification": 10,
    "account_age": 5,
}


class TrustSchema(_Strict):
    """Reviews and reputation (see docs/trust.md)."""

    #: days after an order completes during which both sides may review it
    review_window_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    max_review_length = fields.Integer(load_default=2000, validate=validate.Range(10, 20_000))
    #: Bayesian average: the rating a user starts from, and how many reviews it is worth
    prior_mean = fields.Float(load_default=3.5, validate=validate.Range(1, 5))
    prior_weight = fields.Float(load_default=5.0, validate=validate.Range(0, 1000))
    #: completed orders that count as a full "experience" factor
    completed_orders_target = fields.Integer(load_default=20, validate=validate.Range(1, 100_000))
    #: an order with a booking end counts as on time when completed within this many hours
    #: after it; any other order when completed within ``on_time_days`` of being placed
    on_time_grace_hours = fields.Integer(load_default=24, validate=validate.Range(0, 24 * 365))
    on_time_days = fields.Integer(load_default=14, validate=validate.Range(1, 3650))
    #: the verification level that counts as fully verified
    verification_full_level = fields.Integer(load_default=2, validate=validate.Range(1, 100))
    #: account age (days) that counts as fully established
    account_age_full_days = fields.Integer(load_default=365, validate=validate.Range(1, 36_500))
    #: weight of each core factor; a plugin factor brings its own weight
    weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf(TRUST_FACTORS)),
        values=fields.Float(validate=validate.Range(0, 1000)),
        load_default=lambda: dict(_DEFAULT_TRUST_WEIGHTS),
    )
    #: badge "Top rated": this rating or more with at least ``top_rated_min_reviews`` reviews
    top_rated_rating = fields.Float(load_default=4.5, validate=validate.Range(1, 5))
    top_rated_min_reviews = fields.Integer(load_default=3, validate=validate.Range(1, 10_000))

    @post_load
    def _fill_weights(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["weights"] = {**_DEFAULT_TRUST_WEIGHTS, **data["weights"]}
        return data


class AppSchema(_Strict):
    debug = fields.Boolean(load_default=False)
    demo = fields.Boolean(load_default=False)
    testing = fields.Boolean(load_default=False)
    instance_path = fields.String(load_default=None, allow_none=True)


class ListingsSchema(_Strict):
    require_approval = fields.Boolean(load_default=False)
    #: Price bounds in minor units of the site currency.
    min_price = fields.Integer(load_default=0, validate=validate.Range(min=0))
    max_price = fields.Integer(
        load_default=1_000_000_000, validate=validate.Range(min=1, max=10**15)
    )
    max_images = fields.Integer(load_default=10, validate=validate.Range(0, 50))
    max_image_mb = fields.Integer(load_default=5, validate=validate.Range(1, 100))
    max_image_px = fields.Integer(load_default=2560, validate=validate.Range(320, 10000))
    thumbnail_px = fields.Integer(load_default=480, validate=validate.Range(64, 1600))
    page_size = fields.Integer(load_default=24, validate=validate.Range(1, 100))
    #: Folder (relative to the instance path) for uploaded images.
    storage_folder = fields.String(load_default="uploads")

    @validates_schema
    def _bounds(self, data: dict[str, Any], **_: Any) -> None:
        if data["max_price"] <= data["min_price"]:
            raise MMValidationError("max_price must be above min_price", "max_price")


_SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="must be a slug such as home-garden")


class CategoryNodeSchema(_Strict):
    slug = fields.String(required=True, validate=[validate.Length(1, 80), _SLUG])
    names = fields.Dict(
        keys=fields.String(validate=_locale),
        values=fields.String(validate=validate.Length(1, 120)),
        required=True,
        validate=validate.Length(min=1),
    )
    attribute_hints = fields.List(fields.String(), load_default=list)
    children = fields.List(fields.Nested(lambda: CategoryNodeSchema()), load_default=list)


class CategoriesSchema(_Strict):
    #: The initial category tree; operators edit it afterwards in the database.
    tree = fields.List(fields.Nested(CategoryNodeSchema), load_default=list)

    @validates_schema
    def _unique_slugs(self, data: dict[str, Any], **_: Any) -> None:
        seen: set[str] = set()

        def walk(nodes: list[dict[str, Any]]) -> None:
            for node in nodes:
                if node["slug"] in seen:
                    raise MMValidationError(f"slug {node['slug']!r} is used twice", "tree")
                seen.add(node["slug"])
                walk(node["children"])

        walk(data["tree"])


SECTIONS: dict[str, type[Schema]] = {
    "app": AppSchema,
    "site": SiteSchema,
    "theme": ThemeSchema,
    "landing": LandingSchema,
    "database": DatabaseSchema,
    "fees": FeesSchema,
    "orders": OrdersSchema,
    "security": SecuritySchema,
    "jobs": JobsSchema,
    "users": UsersSchema,
    "mail": MailSchema,
    "storage": StorageSchema,
    "verification": VerificationSchema,
    "listings": ListingsSchema,
    "categories": CategoriesSchema,
    "notifications": NotificationsSchema,
    "messaging": MessagingSchema,
    "moderation": ModerationSchema,
    "trust": TrustSchema,
}


@dataclass
class Settings:
    """Validated configuration of one app.

    Every core section of ``SECTIONS`` is an attribute (``settings.site``,
    ``settings.listings``); plugin sections are filled into ``plugins`` by the
    plugin manager.
    """

    source: str
    sections: dict[str, dict[str, Any]]
    enabled_plugins: list[str]
    raw_plugin_sections: dict[str, dict[str, Any]]
    secret_key: str | None = None
    redis_url: str | None = None
    smtp_password: str | None = None
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> dict[str, Any]:
        sections = self.__dict__.get("sections") or {}
        if name in sections:
            return sections[name]
        raise AttributeError(f"no config section {name!r}")

    @property
    def database_url(self) -> str:
        return self.database["url"]

    def section(self, name: str) -> dict[str, Any]:
        return self.sections[name]


def _flatten(messages: Any, prefix: list[str]) -> list[tuple[list[str], str]]:
    out: list[tuple[list[str], str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.extend(_flatten(value, [*prefix, str(key)]))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for m in messages:
            out.append((prefix, m))
    elif isinstance(messages, list):
        for m in messages:
            out.extend(_flatten(m, prefix))
    else:
        out.append((prefix, str(messages)))
    return out


def location(source: str, section: str, path: list[str]) -> str:
    key = ".".join(p for p in path if p != "_schema")
    return f"{source}: [{section}]" + (f" {key}" if key else "")


def describe_errors(source: str, section: str, messages: Any) -> list[tuple[str, str]]:
    return [(location(source, section, path), msg) for path, msg in _flatten(messages, [])]


def read_source(config: str | os.PathLike[str] | Mapping[str, Any] | None) -> tuple[str, dict]:
    """Return (source label, raw mapping) for a path, a mapping, or the environment."""
    if config is None:
        env_path = os.environ.get(CONFIG_ENV)
        if not env_path:
            return "<defaults>", {}
        config = env_path
    if isinstance(config, Mapping):
        return "<mapping>", copy.deepcopy(dict(config))
    path = Path(config)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([(str(path), "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([(str(path), f"not valid TOML: {exc}")]) from None
    data.setdefault("app", {})
    data["app"].setdefault("config_dir", str(path.resolve().parent))
    return str(path), data


def load_settings(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Validate the core sections; plugin sections are validated by the plugin manager."""
    environ = os.environ if environ is None else environ
    source, raw = read_source(config)
    if not isinstance(raw, dict):
        raise ConfigError([(source, "must be a table of sections")])
    problems: list[tuple[str, str]] = []
    config_dir = (
        raw.get("app", {}).pop("config_dir", None) if isinstance(raw.get("app"), dict) else None
    )

    plugins_raw = raw.pop("plugins", {}) or {}
    loaded: dict[str, dict[str, Any]] = {}
    for name, schema_cls in SECTIONS.items():
        section = raw.pop(name, {}) or {}
        if not isinstance(section, dict):
            problems.append((f"{source}: [{name}]", "must be a table"))
            continue
        try:
            loaded[name] = schema_cls().load(section)
        except MMValidationError as exc:
            problems.extend(describe_errors(source, name, exc.messages))
            loaded[name] = {}
    for unknown in raw:
        problems.append(
            (
                f"{source}: [{unknown}]",
                f"unknown section; expected one of {sorted([*SECTIONS, 'plugins'])}",
            )
        )

    enabled: list[str] = []
    plugin_sections: dict[str, dict[str, Any]] = {}
    if not isinstance(plugins_raw, dict):
        problems.append((f"{source}: [plugins]", "must be a table"))
    else:
        for key, value in plugins_raw.items():
            if key == "enabled":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.append(
                        (f"{source}: [plugins] enabled", "must be a list of plugin names")
                    )
                    continue
                for v in value:
                    if not PLUGIN_NAME_RE.match(v):
                        problems.append(
                            (
                                f"{source}: [plugins] enabled",
                                f"{v!r} is not a plugin name (lower_snake_case)",
                            )
                        )
                    elif v in enabled:
                        problems.append((f"{source}: [plugins] enabled", f"{v!r} is listed twice"))
                    else:
                        enabled.append(v)
            elif isinstance(value, dict):
                plugin_sections[key] = value
            else:
                problems.append(
                    (
                        f"{source}: [plugins] {key}",
                        "unknown key; expected 'enabled' or a [plugins.<name>] table",
                    )
                )
        for key in plugin_sections:
            if key not in enabled:
                problems.append(
                    (
                        f"{source}: [plugins.{key}]",
                        f"plugin {key!r} is configured but not in [plugins] enabled",
                    )
                )

    if problems:
        raise ConfigError(problems)

    app_section = loaded["app"]
    app_section["config_dir"] = config_dir or os.getcwd()
    database = loaded["database"]
    if environ.get("DATABASE_URL"):
        database["url"] = environ["DATABASE_URL"]
    if environ.get("MARKETPLACE_BASE_URL"):
        loaded["site"]["base_url"] = environ["MARKETPLACE_BASE_URL"]
    if environ.get("MARKETPLACE_DEBUG", "").lower() in {"1", "true", "yes"}:
        app_section["debug"] = True
    return Settings(
        source=source,
        sections={**loaded, "app": app_section, "database": database},
        enabled_plugins=enabled,
        raw_plugin_sections=plugin_sections,
        secret_key=environ.get("SECRET_KEY") or None,
        redis_url=environ.get("REDIS_URL") or None,
        smtp_password=environ.get("SMTP_PASSWORD") or None,
    )
