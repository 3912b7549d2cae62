"""deleted products: remember which Shopify products were deleted, so late updates cannot resurrect them

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 22:00:00

Webhooks arrive out of order: a products/update sent before a products/delete can be
applied after it, and a catalog export taken just before a deletion can be loaded after
it. Shopify never reuses product ids, so a recorded deletion outranks anything older.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "deleted_products",
        sa.Column("integration_id", BigId, nullable=False),
        sa.Column("shopify_id", BigId, nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_deleted_products_integration_id_integrations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_deleted_products_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", "shopify_id", name=op.f("pk_deleted_products")),
    )
    with op.batch_alter_table("deleted_products", schema=None) as batch_op:
        batch_op.create_index("ix_deleted_products_deleted_at", ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deleted_products_tenant_id"), ["tenant_id"], unique=False)


def downgrade():
    with op.batch_alter_table("deleted_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deleted_products_tenant_id"))
        batch_op.drop_index("ix_deleted_products_deleted_at")
    op.drop_table("deleted_products")
