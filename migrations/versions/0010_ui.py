"""sync logs name the variant, the TikTok SKU and its seller SKU they were about

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:05:00

A log row outlives its link (link_id is set to null on unlink), so the merchant could
no longer tell which SKU or shop an old operation was about, nor search the logs by SKU.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("sync_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", ID, nullable=True))
        batch_op.add_column(sa.Column("tiktok_sku_id", ID, nullable=True))
        batch_op.add_column(sa.Column("seller_sku", sa.String(length=255), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_sync_logs_variant_id_variants"), "variants", ["variant_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_sync_logs_tiktok_sku_id_tiktok_skus"), "tiktok_skus",
                                    ["tiktok_sku_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_sync_logs_tenant_seller_sku", ["tenant_id", "seller_sku"], unique=False)


def downgrade():
    with op.batch_alter_table("sync_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_logs_tenant_seller_sku")
        batch_op.drop_constraint(batch_op.f("fk_sync_logs_tiktok_sku_id_tiktok_skus"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_sync_logs_variant_id_variants"), type_="foreignkey")
        batch_op.drop_column("seller_sku")
        batch_op.drop_column("tiktok_sku_id")
        batch_op.drop_column("variant_id")
