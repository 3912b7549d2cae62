"""warehouse mappings, untracked variants, price guard rails and orphaned links

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:00:00

- warehouse_mappings: per TikTok shop and seller warehouse, the Shopify locations that feed it;
  integrations.warehouses_confirmed_at says when the merchant confirmed them (existing shops keep the old
  behaviour until then), tiktok_warehouses.sub_type tells platform-run warehouses apart.
- variants remember whether Shopify tracks their stock and keeps selling when out of it.
- product_links: the untracked-stock and price guard-rail settings, a held price waiting for confirmation,
  and orphaned links: deleting a variant or TikTok SKU no longer deletes its links (SET NULL, not CASCADE).
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(precision=14, scale=4)
OLD_STATES = "state IN ('ok', 'pending', 'error')"
NEW_STATES = "state IN ('ok', 'pending', 'error', 'orphaned', 'needs_confirmation')"


def upgrade():
    op.create_table(
        "warehouse_mappings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("integration_id", BigId, nullable=False),
        sa.Column("warehouse_id", sa.String(length=64), nullable=False),
        sa.Column("location_ids", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_warehouse_mappings_integration_id_integrations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_warehouse_mappings_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_mappings")),
        sa.UniqueConstraint("integration_id", "warehouse_id",
                            name=op.f("uq_warehouse_mappings_integration_id_warehouse_id")),
    )
    with op.batch_alter_table("warehouse_mappings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warehouse_mappings_integration_id"), ["integration_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_warehouse_mappings_tenant_id"), ["tenant_id"], unique=False)
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warehouses_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("tiktok_warehouses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sub_type", sa.String(length=40), nullable=True))
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inventory_tracked", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("inventory_policy", sa.String(length=10), nullable=True))
    with op.batch_alter_table("product_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("untracked_stock", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("untracked_quantity", sa.Integer(), nullable=True))
        for name in ("min_price", "max_price_drop", "held_price_before", "held_price", "confirmed_price"):
            batch_op.add_column(sa.Column(name, Money, nullable=True))
        batch_op.add_column(sa.Column("orphaned_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("orphaned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("state", existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f("ck_product_links_state"), type_="check")
        batch_op.create_check_constraint("state", NEW_STATES)
        batch_op.alter_column("variant_id", existing_type=BigId, nullable=True)
        batch_op.alter_column("tiktok_sku_id", existing_type=BigId, nullable=True)
        batch_op.drop_constraint(batch_op.f("fk_product_links_variant_id_variants"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_product_links_tiktok_sku_id_tiktok_skus"), type_="foreignkey")
        batch_op.create_foreign_key(batch_op.f("fk_product_links_variant_id_variants"), "variants",
                                    ["variant_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_product_links_tiktok_sku_id_tiktok_skus"), "tiktok_skus",
                                    ["tiktok_sku_id"], ["id"], ondelete="SET NULL")


def downgrade():
    # Links that lost a side cannot go back to NOT NULL columns: they go, as they would have before.
    op.execute("DELETE FROM product_links WHERE variant_id IS NULL OR tiktok_sku_id IS NULL")
    op.execute("UPDATE product_links SET state = 'error' WHERE state IN ('orphaned', 'needs_confirmation')")
    with op.batch_alter_table("product_links", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_product_links_variant_id_variants"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_product_links_tiktok_sku_id_tiktok_skus"), type_="foreignkey")
        batch_op.create_foreign_key(batch_op.f("fk_product_links_variant_id_variants"), "variants",
                                    ["variant_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key(batch_op.f("fk_product_links_tiktok_sku_id_tiktok_skus"), "tiktok_skus",
                                    ["tiktok_sku_id"], ["id"], ondelete="CASCADE")
        batch_op.alter_column("variant_id", existing_type=BigId, nullable=False)
        batch_op.alter_column("tiktok_sku_id", existing_type=BigId, nullable=False)
        batch_op.drop_constraint(batch_op.f("ck_product_links_state"), type_="check")
        batch_op.create_check_constraint("state", OLD_STATES)
        batch_op.alter_column("state", existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
        for name in ("orphaned_at", "orphaned_reason", "confirmed_price", "held_price", "held_price_before",
                     "max_price_drop", "min_price", "untracked_quantity", "untracked_stock"):
            batch_op.drop_column(name)
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.drop_column("inventory_policy")
        batch_op.drop_column("inventory_tracked")
    with op.batch_alter_table("tiktok_warehouses", schema=None) as batch_op:
        batch_op.drop_column("sub_type")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("warehouses_confirmed_at")
    with op.batch_alter_table("warehouse_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warehouse_mappings_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_warehouse_mappings_integration_id"))
    op.drop_table("warehouse_mappings")
