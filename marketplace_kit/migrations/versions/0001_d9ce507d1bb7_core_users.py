"""core: users

Revision ID: d9ce507d1bb7
Revises:
Create Date: 2026-11-22 04:16:06.191569
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db
from sqlalchemy.dialects import postgresql

revision = "d9ce507d1bb7"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("account_type", sa.String(length=16), nullable=False),
        sa.Column(
            "roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("is_active_account", sa.Boolean(), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=True)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email"))

    op.drop_table("users")
