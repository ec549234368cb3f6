"""group_buying: team buys (拼团), tipping-point deals and price tiers for marketplace-kit.

Built only on the core's hooks: a process (``group_buy``) with five actions,
three tables, pages, an API, jobs, notification events and demo data. See
this distribution's README for the rules.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from marketplace_kit import Job, hookimpl, plugin_settings
from marketplace_kit.core.notifications.registry import EventType

from . import service
from .process import ACTIONS, N_, group_buy_process
from .schemas import Settings

MK_DEMO = True


@hookimpl
def mk_config_schema():
    return Settings


@hookimpl
def mk_register_processes(app: Flask):
    return [group_buy_process(plugin_settings(app, service.NAME)["reservation_ttl_minutes"])]


@hookimpl
def mk_register_actions(app: Flask):
    return ACTIONS


@hookimpl
def mk_register_blueprints(app: Flask):
    from .pages import bp

    return [bp]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    from .api import bp

    return [bp]


@hookimpl
def mk_register_jobs(app: Flask):
    return [
        Job("group_buying.settle_due", service.settle_due, schedule={"minute": "*"}),
        Job("group_buying.settle_group", service.settle_group_job, retries=3, retry_delay=10),
    ]


@hookimpl
def mk_register_notification_events(app: Flask):
    return [
        EventType(
            "group_buying_group_opened",
            _l("Your group is open"),
            N_("Your group for %(title)s is open"),
            N_("Share this link so others can join: %(share_url)s"),
        ),
        EventType(
            "group_buying_member_joined",
            _l("Someone joined your group"),
            N_("%(name)s joined your group for %(title)s"),
            N_("%(paid)s of %(size)s have paid. Share the link: %(share_url)s"),
        ),
        EventType(
            "group_buying_group_filled",
            _l("Your group succeeded"),
            N_("Your group for %(title)s succeeded"),
            N_("You pay %(price)s per unit; %(refund)s of your payment comes back to you."),
        ),
        EventType(
            "group_buying_group_failed",
            _l("Your group failed and you were refunded"),
            N_("Your group for %(title)s did not fill"),
            N_("Everything you paid (%(refund)s) is refunded."),
        ),
        EventType(
            "group_buying_deal_tipped",
            _l("A deal you joined tipped"),
            N_("The deal for %(title)s tipped"),
            N_("%(paid)s units were paid; your order goes ahead at %(price)s per unit."),
        ),
    ]


@hookimpl
def mk_order_transitioned(order: Any, transition: str, from_state: Any, to_state: str, actor: Any):
    """When a payment fills a group, settle it right away (in the background worker)."""
    if order.process_name != service.PROCESS or to_state != "joined":
        return
    from marketplace_kit.extensions import db
    from marketplace_kit.jobs import enqueue

    from .models import Group, Member

    member = db.session.query(Member).filter_by(order_id=order.id).first()
    group = db.session.get(Group, member.group_id) if member else None
    if group is not None and group.status == "open" and group.paid_count >= group.size:
        enqueue("group_buying.settle_group", group.id)


@hookimpl
def mk_console_stats_panels(period: Any):
    """Groups opened, filled, failed and still open, the fill rate, tipping deals."""
    from .stats import panel

    return [panel(period)]


@hookimpl
def mk_main_menu_links(user: Any):
    from marketplace_kit.web.menus import Link

    return [Link(label=_l("Group deals"), url="/group-buying/", order=40, key="group-buying")]


@hookimpl
def mk_account_menu_links(user: Any):
    from marketplace_kit.web.menus import Link

    return [
        Link(label=_l("My groups"), url="/group-buying/mine", order=35, key="group-buying-mine")
    ]


@hookimpl
def mk_page_sections(place: str, subject: Any, user: Any):
    if place != "listing":
        return None
    from marketplace_kit.web.menus import PageSection

    deals = service.active_deals(listing=subject)
    can_create = user is not None and subject.author_id == user.id and subject.status == "published"
    if not deals and not can_create:
        return None
    return [
        PageSection(
            "group_buying",
            _l("Group deals"),
            "group_buying/_listing_section.html",
            {"deals": deals, "can_create": can_create},
            order=30,
        )
    ]


@hookimpl
def mk_sitemap_urls():
    return [(f"/group-buying/deals/{d.id}", d.updated_at) for d in service.active_deals()]


@hookimpl
def mk_user_data_export(user: Any):
    return {
        service.NAME: {
            "groups": [
                {
                    "group_id": g.id,
                    "deal_id": g.deal_id,
                    "role": m.role,
                    "status": m.status,
                    "order_id": m.order_id,
                    "quantity": m.quantity,
                    "refunded": m.refunded_amount,
                }
                for m, g in service.groups_of(user)
            ]
        }
    }


@hookimpl
def mk_seed_demo(app: Flask, seed: int) -> None:
    from .demo import seed_demo

    seed_demo(app, seed)
