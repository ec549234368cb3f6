"""core: moderation reports (reports, decisions, hidden messages)

Revision ID: core_0008_reports
Revises: core_0006
Create Date: 2026-11-22 07:45:22.917767
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db
from sqlalchemy.dialects import postgresql

revision = "core_0008_reports"
down_revision = "core_0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "moderation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("until", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_operator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_target_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_decisions")),
    )
    with op.batch_alter_table("moderation_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_decisions_action"), ["action"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_decisions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_moderation_decisions_target", ["kind", "target_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_moderation_decisions_target_user_id"), ["target_user_id"], unique=False
        )

    op.create_table(
        "moderation_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("target_label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["users.id"],
            name=op.f("fk_moderation_reports_assigned_to_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decisions.id"],
            name=op.f("fk_moderation_reports_decision_id_moderation_decisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_moderation_reports_reporter_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
            name=op.f("fk_moderation_reports_target_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_reports")),
    )
    with op.batch_alter_table("moderation_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_reports_assigned_to_id"), ["assigned_to_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_reports_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_moderation_reports_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_moderation_reports_reason"), ["reason"], unique=False)
        batch_op.create_index(
            "ix_moderation_reports_reporter_created", ["reporter_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_moderation_reports_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_moderation_reports_target", ["kind", "target_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_reports_target_user_id"), ["target_user_id"], unique=False
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hidden_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("hidden_at")

    with op.batch_alter_table("moderation_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_reports_target_user_id"))
        batch_op.drop_index("ix_moderation_reports_target")
        batch_op.drop_index(batch_op.f("ix_moderation_reports_status"))
        batch_op.drop_index("ix_moderation_reports_reporter_created")
        batch_op.drop_index(batch_op.f("ix_moderation_reports_reason"))
        batch_op.drop_index(batch_op.f("ix_moderation_reports_kind"))
        batch_op.drop_index(batch_op.f("ix_moderation_reports_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_reports_assigned_to_id"))

    op.drop_table("moderation_reports")
    with op.batch_alter_table("moderation_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_decisions_target_user_id"))
        batch_op.drop_index("ix_moderation_decisions_target")
        batch_op.drop_index(batch_op.f("ix_moderation_decisions_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_decisions_action"))

    op.drop_table("moderation_decisions")
