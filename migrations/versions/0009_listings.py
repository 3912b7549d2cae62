"""publishing Shopify products to TikTok: listings, templates, uploaded images, category facts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:58:34

A listing follows one Shopify product onto one TikTok shop, from TikTok's listing check
through its audit; sync_runs gains the 'publish' kind for bulk publishing progress.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('category_templates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('match_field', sa.String(length=20), nullable=False),
    sa.Column('match_value', sa.String(length=255), nullable=False),
    sa.Column('category_id', sa.String(length=32), nullable=True),
    sa.Column('category_path', sa.String(length=500), nullable=True),
    sa.Column('brand_id', sa.String(length=64), nullable=True),
    sa.Column('attribute_rules', sa.JSON(), nullable=False),
    sa.Column('package', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("match_field IN ('product_type', 'vendor', 'tag', 'collection', 'any')", name=op.f('ck_category_templates_match_field')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_category_templates_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_category_templates_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_templates'))
    )
    with op.batch_alter_table('category_templates', schema=None) as batch_op:
        batch_op.create_index('ix_category_templates_shop_position', ['tiktok_integration_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_category_templates_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('listing_category_facts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category_id', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_listing_category_facts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_listing_category_facts_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_category_facts')),
    sa.UniqueConstraint('tiktok_integration_id', 'category_id', name=op.f('uq_listing_category_facts_tiktok_integration_id_category_id'))
    )
    with op.batch_alter_table('listing_category_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_category_facts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('listing_images',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('use_case', sa.String(length=30), nullable=False),
    sa.Column('uri', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_listing_images_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_listing_images_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_images')),
    sa.UniqueConstraint('tiktok_integration_id', 'content_hash', 'use_case', name=op.f('uq_listing_images_tiktok_integration_id_content_hash_use_case'))
    )
    with op.batch_alter_table('listing_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_images_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('listing_shops',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('daily_limit', sa.Integer(), nullable=False),
    sa.Column('quota_resets_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('keep_content_in_step', sa.Boolean(), nullable=False),
    sa.Column('package_defaults', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_listing_shops_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_listing_shops_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_shops')),
    sa.UniqueConstraint('tiktok_integration_id', name=op.f('uq_listing_shops_tiktok_integration_id'))
    )
    with op.batch_alter_table('listing_shops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_shops_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('listings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tiktok_integration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('save_as_draft', sa.Boolean(), nullable=False),
    sa.Column('category_id', sa.String(length=32), nullable=True),
    sa.Column('category_path', sa.String(length=500), nullable=True),
    sa.Column('brand_id', sa.String(length=64), nullable=True),
    sa.Column('chosen_attributes', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('advice', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('tiktok_product_id', sa.String(length=64), nullable=True),
    sa.Column('audit_reasons', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attention', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'blocked', 'queued', 'submitting', 'pending', 'live', 'failed', 'tiktok_draft')", name=op.f('ck_listings_state')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_listings_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['sync_runs.id'], name=op.f('fk_listings_run_id_sync_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['category_templates.id'], name=op.f('fk_listings_template_id_category_templates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_listings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_integration_id'], ['integrations.id'], name=op.f('fk_listings_tiktok_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listings')),
    sa.UniqueConstraint('tiktok_integration_id', 'product_id', name=op.f('uq_listings_tiktok_integration_id_product_id'))
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_shop_state', ['tiktok_integration_id', 'state', 'queued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_listings_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_listings_tenant_state', ['tenant_id', 'state'], unique=False)

    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sync_runs_kind"), type_="check")
        batch_op.create_check_constraint("kind", _KINDS_WITH_PUBLISH)


def downgrade():
    op.execute("DELETE FROM sync_runs WHERE kind = 'publish'")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sync_runs_kind"), type_="check")
        batch_op.create_check_constraint("kind", _KINDS)
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_tenant_state')
        batch_op.drop_index(batch_op.f('ix_listings_tenant_id'))
        batch_op.drop_index('ix_listings_shop_state')

    op.drop_table('listings')
    with op.batch_alter_table('listing_shops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_shops_tenant_id'))

    op.drop_table('listing_shops')
    with op.batch_alter_table('listing_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_images_tenant_id'))

    op.drop_table('listing_images')
    with op.batch_alter_table('listing_category_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_category_facts_tenant_id'))

    op.drop_table('listing_category_facts')
    with op.batch_alter_table('category_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_templates_tenant_id'))
        batch_op.drop_index('ix_category_templates_shop_position')

    op.drop_table('category_templates')


_KINDS = "kind IN ('import', 'push', 'reconcile', 'webhook')"
_KINDS_WITH_PUBLISH = "kind IN ('import', 'push', 'reconcile', 'webhook', 'publish')"
