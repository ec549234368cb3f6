"""core: reviews, reputations, and the provider rating on listings

Revision ID: core_0010_trust
Revises: core_0009_console
Create Date: 2026-11-29 08:00:00
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db
from sqlalchemy.dialects import postgresql

revision = "core_0010_trust"
down_revision = "core_0009_console"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = marketplace_kit.core.db.UTCDateTime


def upgrade():
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_role", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("criteria", JSON, nullable=False),
        sa.Column("window_closes_at", UTC(timezone=True), nullable=False),
        sa.Column("published_at", UTC(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", UTC(timezone=True), nullable=True),
        sa.Column("hidden_at", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "author_role IN ('customer', 'provider')", name=op.f("ck_reviews_author_role_known")
        ),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_reviews_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_reviews_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["users.id"], name=op.f("fk_reviews_subject_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_id", "author_role", name="uq_reviews_order_side"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_reviews_subject_role_published",
            ["subject_id", "subject_role", "published_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_reviews_unpublished_window", ["published_at", "window_closes_at"], unique=False
        )

    op.create_table(
        "reputations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("completed_orders", sa.Integer(), nullable=False),
        sa.Column("factors", JSON, nullable=False),
        sa.Column("badges", JSON, nullable=False),
        sa.Column("computed_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reputations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reputations")),
        sa.UniqueConstraint("user_id", "role", name="uq_reputations_user_role"),
    )
    with op.batch_alter_table("reputations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reputations_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_rating", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("provider_review_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_listings_status_rating", ["status", "provider_rating", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_status_rating")
        batch_op.drop_column("provider_review_count")
        batch_op.drop_column("provider_rating")
    with op.batch_alter_table("reputations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reputations_user_id"))
    op.drop_table("reputations")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_unpublished_window")
        batch_op.drop_index("ix_reviews_subject_role_published")
        batch_op.drop_index(batch_op.f("ix_reviews_order_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_author_id"))
    op.drop_table("reviews")
