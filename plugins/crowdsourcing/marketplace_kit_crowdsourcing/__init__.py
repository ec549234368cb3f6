"""Crowdsourcing for marketplace-kit: tenders with bids and milestones in escrow, and contests.

Built only on the core's hooks: two request listing types, two processes
(``crowdsourcing_milestone``, ``crowdsourcing_prize``) with their actions,
two ledger account kinds, pages, an API, notifications, a job and demo data.
See ``plugins/crowdsourcing/README.md``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from marketplace_kit import Job, hookimpl, plugin_settings
from marketplace_kit.core.ledger.kinds import AccountKind
from marketplace_kit.core.listings.types import ListingType, StrictSchema
from marketplace_kit.core.notifications.registry import EventType
from marketplace_kit.web.menus import Link, PageSection

from . import models  # noqa: F401  (tables)
from .processes import ACTIONS, CREDIT_ACCOUNT, PRIZE_ACCOUNT, configured

NAME = "crowdsourcing"


class Settings(Schema):
    monthly_bids = fields.Integer(load_default=20, validate=validate.Range(1, 1000))
    auto_release_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    dispute_response_days = fields.Integer(load_default=5, validate=validate.Range(1, 90))
    contest_cancel_fee_percent = fields.Integer(load_default=10, validate=validate.Range(0, 100))
    contest_split_after_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    max_file_bytes = fields.Integer(
        load_default=10 * 1024 * 1024, validate=validate.Range(1, 100 * 1024 * 1024)
    )
    #: weight of each of the plugin's reputation factors, next to the core's ``[trust] weights``
    reputation_weight = fields.Float(load_default=5.0, validate=validate.Range(0, 1000))


class TaskAttributes(StrictSchema):
    skills = fields.String(validate=validate.Length(max=500), metadata={"label": _l("Skills")})


@hookimpl
def mk_config_schema():
    return Settings


@hookimpl
def mk_register_listing_types(app: Flask):
    return [
        ListingType(
            "crowdsourcing_tender",
            _l("Task (tender)"),
            TaskAttributes,
            author_side="request",
            process="crowdsourcing_milestone",
            searchable=("skills",),
        ),
        ListingType(
            "crowdsourcing_contest",
            _l("Task (contest)"),
            TaskAttributes,
            author_side="request",
            process="crowdsourcing_prize",
            searchable=("skills",),
        ),
    ]


@hookimpl
def mk_register_account_kinds(app: Flask):
    return [
        AccountKind(PRIZE_ACCOUNT, "task", description="A contest's prize, escrowed at posting."),
        AccountKind(CREDIT_ACCOUNT, "award", description="Milestone money rolled to the next one."),
    ]


@hookimpl
def mk_register_actions(app: Flask):
    return ACTIONS


@hookimpl
def mk_register_processes(app: Flask):
    return configured(plugin_settings(app, NAME))


@hookimpl
def mk_register_blueprints(app: Flask):
    from .pages import bp

    return [bp]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    from .api import api

    return [api]


@hookimpl
def mk_register_jobs(app: Flask):
    from .service import split_due_contests

    return [Job("crowdsourcing.split_contests", split_due_contests, schedule={"minute": "*"})]


def _event(key: str, label: Any, title: Any, body: Any) -> EventType:
    return EventType(key, label, title, body)


@hookimpl
def mk_register_notification_events(app: Flask):
    return [
        _event(
            "crowdsourcing_bid_received",
            _l("A bid on your task"),
            _l("New bid on “%(title)s”"),
            _l("A provider bid on your task “%(title)s”."),
        ),
        _event(
            "crowdsourcing_entry_received",
            _l("An entry in your contest"),
            _l("New entry in “%(title)s”"),
            _l("A provider entered your contest “%(title)s”."),
        ),
        _event(
            "crowdsourcing_bid_awarded",
            _l("Your bid was awarded"),
            _l("You won “%(title)s”"),
            _l("The client awarded your bid on “%(title)s”. Wait for a funded milestone."),
        ),
        _event(
            "crowdsourcing_bid_not_awarded",
            _l("Your bid was not chosen"),
            _l("“%(title)s” was awarded to someone else"),
            _l("The client chose another bid on “%(title)s”."),
        ),
        _event(
            "crowdsourcing_task_cancelled",
            _l("A task you bid on was cancelled"),
            _l("“%(title)s” was cancelled"),
            _l("The client cancelled “%(title)s”; a bid you spent on it is yours again."),
        ),
        _event(
            "crowdsourcing_contest_won",
            _l("You won a contest prize"),
            _l("Prize for “%(title)s”"),
            _l("Your entry in “%(title)s” won a share of the prize; it is in your wallet."),
        ),
    ]


@hookimpl
def mk_permission_allowed(user: Any, action: str, resource: Any):
    # Task listings are published by the plugin together with their task row
    # (and a contest's prize); the generic listing form cannot publish one.
    if action == "listing.publish" and getattr(resource, "listing_type", "").startswith(
        "crowdsourcing_"
    ):
        from sqlalchemy import select

        from marketplace_kit.extensions import db

        from .models import Task

        has_task = db.session.scalar(select(Task.id).where(Task.listing_id == resource.id))
        return None if has_task else False
    return None


@hookimpl
def mk_reputation_factors(user: Any, role: str):
    """Provider: milestones delivered on time, contests won (see ``reputation``)."""
    from flask import current_app

    from .reputation import factors

    return factors(user, role, plugin_settings(current_app, NAME)["reputation_weight"])


@hookimpl
def mk_order_transitioned(order: Any, transition: str, from_state: Any, to_state: str, actor: Any):
    """A released milestone or a paid prize changes the provider's factors: recompute."""
    from marketplace_kit.core.trust.reputation import queue_recompute

    from .reputation import MILESTONE_PROCESS, PRIZE_PROCESS

    if (order.process_name == MILESTONE_PROCESS and to_state == "released") or (
        order.process_name == PRIZE_PROCESS
    ):
        queue_recompute(order.provider_id)


@hookimpl
def mk_main_menu_links(user: Any):
    return [Link(label=_l("Tasks"), url="/tasks", order=30, key="crowdsourcing-tasks")]


@hookimpl
def mk_account_menu_links(user: Any):
    return [
        Link(
            label=_l("My bids and entries"), url="/tasks/mine", order=95, key="crowdsourcing-mine"
        ),
    ]


@hookimpl
def mk_page_sections(place: str, subject: Any, user: Any):
    if place != "listing" or not getattr(subject, "listing_type", "").startswith("crowdsourcing_"):
        return []
    from sqlalchemy import select

    from marketplace_kit.extensions import db

    from .models import Task

    task = db.session.scalars(select(Task).where(Task.listing_id == subject.id)).first()
    if task is None:
        return []
    return [
        PageSection(
            "crowdsourcing-task",
            _l("Task"),
            "crowdsourcing/_listing_section.html",
            {"task": task},
            order=10,
        )
    ]


@hookimpl
def mk_sitemap_urls():
    from sqlalchemy import select

    from marketplace_kit.extensions import db

    from .models import Task

    rows = db.session.execute(
        select(Task.id, Task.updated_at).where(Task.state == "open").order_by(Task.id)
    ).all()
    return [("/tasks", None)] + [(f"/tasks/{task_id}", updated) for task_id, updated in rows]


@hookimpl
def mk_user_data_export(user: Any):
    from .service import bids_of, entries_of

    return {
        NAME: {
            "bids": [
                {"task_id": b.task_id, "amount": b.amount, "days": b.days, "status": b.status}
                for b in bids_of(user)
            ],
            "entries": [
                {"task_id": e.task_id, "status": e.status, "note": e.note} for e in entries_of(user)
            ],
        }
    }


@hookimpl
def mk_seed_demo(app: Flask, seed: int) -> None:
    from .demo import seed_demo

    seed_demo(seed)
