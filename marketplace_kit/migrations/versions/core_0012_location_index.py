"""core: the location index carries the listing id (index-only nearest-first pages)

Revision ID: core_0012_location_index
Revises: core_0011_stats
Create Date: 2026-12-03 10:40:00
"""

from alembic import op

revision = "core_0012_location_index"
down_revision = "core_0011_stats"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_listings_status_lat_lng", table_name="listings")
    op.create_index(
        "ix_listings_status_lat_lng",
        "listings",
        ["status", "latitude", "longitude", "id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_listings_status_lat_lng", table_name="listings")
    op.create_index(
        "ix_listings_status_lat_lng", "listings", ["status", "latitude", "longitude"], unique=False
    )
