"""people belong to the store they log in through; roles, grants to staff, sessions that end

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:30:00

Shopify's shop/redact for one store erases that store, not the whole account: the
people who logged in through it go with it, so each user row names its store.
Existing users get the store their account was created for.

The owner decides what staff may do beyond viewing, linking and syncing (three
grants, off by default). Each user's session version is part of every session's
user id, so raising it ends all their sessions; removed_at keeps a removed person out.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GRANTS = ("staff_may_manage_api_keys", "staff_may_manage_alerts", "staff_may_manage_shops")


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
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        for grant in GRANTS:
            batch_op.add_column(sa.Column(grant, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        for grant in GRANTS:
            batch_op.drop_column(grant)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
        batch_op.drop_column("session_version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_shopify_integration_id_integrations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_shopify_integration_id"))
        batch_op.drop_column("shopify_integration_id")
