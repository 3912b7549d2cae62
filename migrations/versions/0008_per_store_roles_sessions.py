"""people belong to the store they log in through

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 07:30:00

Shopify's shop/redact for one store erases that store, not the whole account: the
people who logged in through it go with it, so each user row names its store.
Existing users get the store their account was created for.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shopify_integration_id", BigId, nullable=True))
        batch_op.create_index(batch_op.f("ix_users_shopify_integration_id"), ["shopify_integration_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_users_shopify_integration_id_integrations"), "integrations",
                                    ["shopify_integration_id"], ["id"], ondelete="CASCADE")
    op.execute(
        "UPDATE users SET shopify_integration_id = (SELECT integrations.id FROM integrations JOIN tenants "
        "ON tenants.id = integrations.tenant_id WHERE integrations.tenant_id = users.tenant_id "
        "AND integrations.platform = 'shopify' AND integrations.external_id = tenants.shop_domain)")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_shopify_integration_id_integrations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_shopify_integration_id"))
        batch_op.drop_column("shopify_integration_id")
