"""inventory levels remember when they were last read back from Shopify

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:30:00

A stock webhook whose time cannot order it (two changes in one second) is settled by
reading the level back from Shopify. read_back_at lets the deliveries of a burst that
arrived before such a read be dropped without reading again: the row already holds
what Shopify had after them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inventory_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_back_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("inventory_levels", schema=None) as batch_op:
        batch_op.drop_column("read_back_at")
