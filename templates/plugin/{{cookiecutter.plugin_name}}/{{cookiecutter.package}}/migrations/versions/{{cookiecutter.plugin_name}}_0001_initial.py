"""{{ cookiecutter.plugin_name }}: entries

Revision ID: {{ cookiecutter.plugin_name }}_0001
The first revision of this plugin's branch: no down_revision, a branch label
named after the plugin, and depends_on the core revision whose tables it uses.
"""

import sqlalchemy as sa
from alembic import op

import marketplace_kit.core.db

revision = "{{ cookiecutter.plugin_name }}_0001"
down_revision = None
branch_labels = ("{{ cookiecutter.plugin_name }}",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "{{ cookiecutter.plugin_name }}_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=280), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_{{ cookiecutter.plugin_name }}_entries_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_{{ cookiecutter.plugin_name }}_entries")),
    )
    with op.batch_alter_table("{{ cookiecutter.plugin_name }}_entries") as batch_op:
        batch_op.create_index(batch_op.f("ix_{{ cookiecutter.plugin_name }}_entries_author_id"), ["author_id"])


def downgrade():
    with op.batch_alter_table("{{ cookiecutter.plugin_name }}_entries") as batch_op:
        batch_op.drop_index(batch_op.f("ix_{{ cookiecutter.plugin_name }}_entries_author_id"))
    op.drop_table("{{ cookiecutter.plugin_name }}_entries")
