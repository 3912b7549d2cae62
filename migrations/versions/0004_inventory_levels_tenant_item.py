"""inventory levels by tenant and item: the products page's stock lookup

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:30:00

The products page reads the stock of one page of variants by tenant and inventory
item; with only the tenant index PostgreSQL read every stock level of the tenant
(a sequential scan at 100,000 levels) to find a few hundred.
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inventory_levels", schema=None) as batch_op:
        batch_op.create_index("ix_inventory_levels_tenant_item", ["tenant_id", "inventory_item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("inventory_levels", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_levels_tenant_item")
