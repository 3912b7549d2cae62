"""search indexes: trigram indexes for "contains" searches on titles and SKUs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:10:00

The link and product lists search with ILIKE '%text%'; on PostgreSQL a pg_trgm
GIN index answers that without reading every row. SQLite gets plain indexes
(the same names and columns), so the models and the schema agree on both.
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_products_title_search", "products", "title"),
    ("ix_variants_sku_search", "variants", "sku"),
    ("ix_variants_barcode_search", "variants", "barcode"),
    ("ix_tiktok_skus_seller_sku_search", "tiktok_skus", "seller_sku"),
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
