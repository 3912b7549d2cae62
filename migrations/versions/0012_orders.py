"""TikTok orders into Shopify: orders, their lines, events and shipments, carrier mappings, shop settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:50:52

Existing TikTok shops get empty order settings, which read as the safe defaults (sync.orders.settings).
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('carrier_mappings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shopify_carrier', sa.String(length=255), nullable=False),
    sa.Column('tiktok_provider_id', sa.String(length=64), nullable=False),
    sa.Column('tiktok_provider_name', sa.String(length=255), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_carrier_mappings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_carrier_mappings_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_mappings')),
    sa.UniqueConstraint('tiktok_integration_id', 'shopify_carrier', name=op.f('uq_carrier_mappings_tiktok_integration_id_shopify_carrier'))
    )
    with op.batch_alter_table('carrier_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carrier_mappings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shopify_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('tiktok_order_id', sa.String(length=64), nullable=False),
    sa.Column('tiktok_status', sa.String(length=40), nullable=False),
    sa.Column('tiktok_update_time', sa.BigInteger(), nullable=False),
    sa.Column('tiktok_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_on_hold_order', sa.Boolean(), nullable=False),
    sa.Column('fulfillment_type', sa.String(length=40), nullable=True),
    sa.Column('shipping_type', sa.String(length=20), nullable=True),
    sa.Column('warehouse_id', sa.String(length=64), nullable=True),
    sa.Column('delivery_option_id', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('total_amount', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempt_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shopify_order_id', sa.BigInteger(), nullable=True),
    sa.Column('shopify_order_name', sa.String(length=64), nullable=True),
    sa.Column('fulfilment_held', sa.Boolean(), nullable=False),
    sa.Column('shopify_cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('external_reference_saved', sa.Boolean(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('next_step', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('awaiting_payment', 'skipped', 'waiting_hold', 'pending', 'creating', 'created', 'failed', 'cancelled')", name=op.f('ck_orders_state')),
    sa.ForeignKeyConstraint(['shopify_integration_id'], ['integrations.id'], name=op.f('fk_orders_shopify_integration_id_integrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_orders_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_orders_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('tiktok_integration_id', 'tiktok_order_id', name=op.f('uq_orders_tiktok_integration_id_tiktok_order_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_orders_tenant_state', ['tenant_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_tiktok_integration_id'), ['tiktok_integration_id'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('before', sa.String(length=255), nullable=True),
    sa.Column('after', sa.String(length=255), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_events_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_order', ['order_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('order_shipments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shopify_fulfillment_id', sa.BigInteger(), nullable=False),
    sa.Column('carrier', sa.String(length=255), nullable=True),
    sa.Column('tracking_number', sa.String(length=100), nullable=True),
    sa.Column('quantities', sa.JSON(), nullable=False),
    sa.Column('tiktok_line_item_ids', sa.JSON(), nullable=False),
    sa.Column('tiktok_provider_id', sa.String(length=64), nullable=True),
    sa.Column('tiktok_package_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'shipped', 'attention', 'cancelled')", name=op.f('ck_order_shipments_state')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_shipments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_shipments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_shipments')),
    sa.UniqueConstraint('order_id', 'shopify_fulfillment_id', name=op.f('uq_order_shipments_order_id_shopify_fulfillment_id'))
    )
    with op.batch_alter_table('order_shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_shipments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_sku_id', sa.String(length=64), nullable=False),
    sa.Column('seller_sku', sa.String(length=255), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('link_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('shopify_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('shopify_variant_id', sa.BigInteger(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('tiktok_line_item_ids', sa.JSON(), nullable=False),
    sa.Column('cancelled_line_item_ids', sa.JSON(), nullable=False),
    sa.Column('shopify_line_item_id', sa.BigInteger(), nullable=True),
    sa.Column('restocked_quantity', sa.Integer(), nullable=False),
    sa.Column('returned_quantity', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['product_links.id'], name=op.f('fk_order_lines_link_id_product_links'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shopify_integration_id'], ['integrations.id'], name=op.f('fk_order_lines_shopify_integration_id_integrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_lines_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'tiktok_sku_id', name=op.f('uq_order_lines_order_id_tiktok_sku_id'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_order_lines_link', ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_settings', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('orders_polled_through', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_column('orders_polled_through')
        batch_op.drop_column('order_settings')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_tenant_id'))
        batch_op.drop_index('ix_order_lines_link')

    op.drop_table('order_lines')
    with op.batch_alter_table('order_shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_shipments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_order_shipments_order_id'))

    op.drop_table('order_shipments')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_events_tenant_id'))
        batch_op.drop_index('ix_order_events_order')

    op.drop_table('order_events')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_tiktok_integration_id'))
        batch_op.drop_index('ix_orders_tenant_state')
        batch_op.drop_index(batch_op.f('ix_orders_tenant_id'))
        batch_op.drop_index('ix_orders_tenant_created')

    op.drop_table('orders')
    with op.batch_alter_table('carrier_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_mappings_tenant_id'))

    op.drop_table('carrier_mappings')
