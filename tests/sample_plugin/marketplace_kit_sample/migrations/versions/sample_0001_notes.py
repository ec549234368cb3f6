"""sample: notes

Revision ID: sample_0001
Revises:
Create Date: 2026-11-22 04:17:49.042264
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db


revision = "sample_0001"
down_revision = None
branch_labels = ("sample",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "sample_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_sample_notes_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_notes")),
    )
    with op.batch_alter_table("sample_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_notes_owner_id"), ["owner_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sample_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_notes_owner_id"))

    op.drop_table("sample_notes")
