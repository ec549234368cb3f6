"""core: statistics (daily rollups, active user days, listing view counter, created/updated indexes)

Revision ID: core_0011_stats
Revises: core_0010_trust
Create Date: 2026-11-23 08:00:00
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db

revision = "core_0011_stats"
down_revision = "core_0010_trust"
branch_labels = None
depends_on = None


def _figures():
    return [
        sa.Column("orders_placed", sa.Integer(), nullable=False),
        sa.Column("orders_completed", sa.Integer(), nullable=False),
        sa.Column("orders_refunded", sa.Integer(), nullable=False),
        sa.Column("orders_disputed", sa.Integer(), nullable=False),
        sa.Column("gmv_amount", sa.BigInteger(), nullable=False),
        sa.Column("fees_amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "stats_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint("day", "currency", name=op.f("pk_stats_daily")),
    )
    op.create_table(
        "stats_daily_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        *_figures(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_daily_categories")),
    )
    op.create_index(
        op.f("ix_stats_daily_categories_day"), "stats_daily_categories", ["day"], unique=False
    )
    op.create_table(
        "stats_daily_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_daily_providers")),
    )
    op.create_index(
        op.f("ix_stats_daily_providers_day"), "stats_daily_providers", ["day"], unique=False
    )
    op.create_table(
        "stats_daily_site",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("new_users", sa.Integer(), nullable=False),
        sa.Column("listing_views", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_stats_daily_site")),
    )
    op.create_table(
        "stats_user_days",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("prev_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_stats_user_days")),
    )
    op.create_index(
        "ix_stats_user_days_day_prev_day", "stats_user_days", ["day", "prev_day"], unique=False
    )
    op.create_table(
        "stats_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rolled_through", sa.Date(), nullable=True),
        sa.Column("watermark", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_rollup_state")),
    )
    op.create_table(
        "listing_view_days",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_view_days_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "day", name=op.f("pk_listing_view_days")),
    )
    op.create_index(op.f("ix_listing_view_days_day"), "listing_view_days", ["day"], unique=False)
    op.create_index(
        "ix_orders_created_at",
        "orders",
        ["created_at", "customer_id", "provider_id", "customer_total_amount"],
        unique=False,
    )
    op.create_index("ix_orders_updated_at", "orders", ["updated_at"], unique=False)
    op.create_index("ix_users_created_at", "users", ["created_at"], unique=False)


def downgrade():
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_orders_updated_at", table_name="orders")
    op.drop_index("ix_orders_created_at", table_name="orders")
    op.drop_index(op.f("ix_listing_view_days_day"), table_name="listing_view_days")
    op.drop_table("listing_view_days")
    op.drop_table("stats_rollup_state")
    op.drop_index("ix_stats_user_days_day_prev_day", table_name="stats_user_days")
    op.drop_table("stats_user_days")
    op.drop_table("stats_daily_site")
    op.drop_index(op.f("ix_stats_daily_providers_day"), table_name="stats_daily_providers")
    op.drop_table("stats_daily_providers")
    op.drop_index(op.f("ix_stats_daily_categories_day"), table_name="stats_daily_categories")
    op.drop_table("stats_daily_categories")
    op.drop_table("stats_daily")
