"""core: listings

Revision ID: core_0003
Revises: core_0001
Create Date: 2026-11-22 04:28:01.138596
"""

from alembic import op
import sqlalchemy as sa
import marketplace_kit.core.db
from marketplace_kit.core.listings import search_ddl
from sqlalchemy.dialects import postgresql

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attribute_hints",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["categories.id"],
            name=op.f("fk_categories_parent_id_categories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_categories_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("last_seen_id", sa.Integer(), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_searches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_searches_user_id"), ["user_id"], unique=False)

    op.create_table(
        "favourites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(listing_id IS NULL) <> (provider_id IS NULL)",
            name=op.f("ck_favourites_listing_xor_provider"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_favourites_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["users.id"],
            name=op.f("fk_favourites_provider_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favourites_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourites")),
        sa.UniqueConstraint("user_id", "listing_id", name="one_favourite_per_listing"),
        sa.UniqueConstraint("user_id", "provider_id", name="one_favourite_per_provider"),
    )
    with op.batch_alter_table("favourites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favourites_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_favourites_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_favourites_user_id"), ["user_id"], unique=False)

    op.create_table(
        "listing_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_images_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_images")),
        sa.UniqueConstraint("path", name=op.f("uq_listing_images_path")),
    )
    with op.batch_alter_table("listing_images", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_images_listing_id"), ["listing_id"], unique=False
        )

    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "published_at", marketplace_kit.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("moderation_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_listings_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            "ix_listings_status_lat_lng", ["status", "latitude", "longitude"], unique=False
        )
        batch_op.create_index(
            "ix_listings_status_created", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_listings_status_price", ["status", "price_amount", "id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_listings_category_id_categories"),
            "categories",
            ["category_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # Full-text index (not expressible in the metadata; see core/listings/search_ddl.py).
    dialect = op.get_bind().dialect.name
    for statement in search_ddl.statements(dialect):
        op.execute(statement)
    if dialect == "sqlite":
        op.execute("INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": search_ddl.SQLITE_DROP, "postgresql": search_ddl.PG_DROP}.get(
        dialect, ()
    ):
        op.execute(statement)
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_listings_category_id_categories"), type_="foreignkey"
        )
        batch_op.drop_index("ix_listings_status_price")
        batch_op.drop_index("ix_listings_status_created")
        batch_op.drop_index("ix_listings_status_lat_lng")
        batch_op.drop_index(batch_op.f("ix_listings_category_id"))
        batch_op.drop_column("search_text")
        batch_op.drop_column("moderation_note")
        batch_op.drop_column("published_at")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("address")
        batch_op.drop_column("category_id")

    with op.batch_alter_table("listing_images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_images_listing_id"))

    op.drop_table("listing_images")
    with op.batch_alter_table("favourites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favourites_user_id"))
        batch_op.drop_index(batch_op.f("ix_favourites_provider_id"))
        batch_op.drop_index(batch_op.f("ix_favourites_listing_id"))

    op.drop_table("favourites")
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_searches_user_id"))

    op.drop_table("saved_searches")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_categories_parent_id"))

    op.drop_table("categories")
