"""core: operator console (operator audit log, queue assignments, banned accounts)

Revision ID: core_0009_console
Revises: core_0006
Create Date: 2026-11-22 08:00:00
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db
from sqlalchemy.dialects import postgresql

revision = "core_0009_console"
down_revision = "core_0008_reports"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_roles", JSON, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", JSON, nullable=False),
        sa.Column("after", JSON, nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_operator_actions_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"],
            ["users.id"],
            name=op.f("fk_operator_actions_subject_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_actions")),
    )
    with op.batch_alter_table("operator_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operator_actions_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_operator_actions_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_operator_actions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_operator_actions_subject_user_id"), ["subject_user_id"], unique=False
        )
        batch_op.create_index(
            "ix_operator_actions_target", ["target_type", "target_id"], unique=False
        )

    op.create_table(
        "queue_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "assigned_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_queue_assignments_assigned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_queue_assignments_assignee_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_assignments")),
        sa.UniqueConstraint("queue", "item_id", name=op.f("uq_queue_assignments_queue")),
    )
    with op.batch_alter_table("queue_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_assignments_assignee_id"), ["assignee_id"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "banned_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("banned_at")
    with op.batch_alter_table("queue_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_assignments_assignee_id"))
    op.drop_table("queue_assignments")
    with op.batch_alter_table("operator_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_actions_target")
        batch_op.drop_index(batch_op.f("ix_operator_actions_subject_user_id"))
        batch_op.drop_index(batch_op.f("ix_operator_actions_created_at"))
        batch_op.drop_index(batch_op.f("ix_operator_actions_actor_id"))
        batch_op.drop_index(batch_op.f("ix_operator_actions_action"))
    op.drop_table("operator_actions")
