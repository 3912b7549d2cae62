"""tokens per grant: a credentials table shared by the shops of one authorization

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:30:00

One TikTok seller authorization covers several shops, but each shop kept its own copy
of the tokens: the first shop to refresh spent the refresh token the others still held.
Tokens now live in `credentials`, one row per grant (a Shopify store's install; one
TikTok authorization), and integrations point at theirs.

The migration cannot decrypt tokens, so it copies ciphertext. TikTok shops of one
tenant whose token expiries are identical came from one authorization answer (its
expiries are absolute timestamps) and share one credential; any other integration gets
its own. A grant's seller open_id is learnt at its next refresh or reconnect.
The owner locks of the same change (sync/ownership.py) need no schema: they are
PostgreSQL advisory locks.
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TOKEN_COLUMNS = ("access_token_encrypted", "access_token_expires_at", "refresh_token_encrypted",
                 "refresh_token_expires_at")


def _integrations(with_tokens: bool):
    columns = [sa.column(name) for name in ("id", "tenant_id", "platform", "external_id", "updated_at")]
    if with_tokens:
        columns += [sa.column(name) for name in TOKEN_COLUMNS]
    else:
        columns.append(sa.column("credential_id"))
    return sa.table("integrations", *columns)


def _credentials():
    return sa.table("credentials", *(sa.column(name) for name in (
        "id", "tenant_id", "platform", "grant_key", *TOKEN_COLUMNS, "updated_at", "created_at")))


def upgrade():
    op.create_table(
        "credentials",
        sa.Column("id", BigId, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("grant_key", sa.String(length=255), nullable=False),
        sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("platform IN ('shopify', 'tiktok')", name=op.f("ck_credentials_platform")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_credentials_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("tenant_id", "platform", "grant_key",
                            name=op.f("uq_credentials_tenant_id_platform_grant_key")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_tenant_id"), ["tenant_id"], unique=False)
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_id", BigId, nullable=True))
        batch_op.create_index(batch_op.f("ix_integrations_credential_id"), ["credential_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_integrations_credential_id_credentials"), "credentials",
                                    ["credential_id"], ["id"], ondelete="SET NULL")
    _copy_tokens_to_credentials()
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        for name in TOKEN_COLUMNS:
            batch_op.drop_column(name)


def _copy_tokens_to_credentials():
    bind = op.get_bind()
    old = _integrations(with_tokens=True)
    rows = bind.execute(sa.select(old).where(sa.or_(
        old.c.access_token_encrypted.is_not(None), old.c.refresh_token_encrypted.is_not(None)))
        .order_by(old.c.id)).mappings().all()
    grants = defaultdict(list)
    for row in rows:
        if row["platform"] == "tiktok" and row["refresh_token_expires_at"] is not None:
            key = (row["tenant_id"], "tiktok", row["access_token_expires_at"], row["refresh_token_expires_at"])
        else:
            key = (row["tenant_id"], row["platform"], row["id"])
        grants[key].append(row)
    credentials, integrations = _credentials(), _integrations(with_tokens=False)
    now = sa.func.now() if bind.dialect.name == "postgresql" else sa.func.current_timestamp()
    for members in grants.values():
        newest = max(members, key=lambda r: (r["updated_at"] is not None, r["updated_at"] or 0, r["id"]))
        first = members[0]
        grant_key = first["external_id"] if first["platform"] == "shopify" else f"migrated:{first['id']}"
        credential_id = bind.execute(sa.insert(credentials).values(
            tenant_id=first["tenant_id"], platform=first["platform"], grant_key=grant_key,
            updated_at=newest["updated_at"], created_at=now,
            **{name: newest[name] for name in TOKEN_COLUMNS}).returning(credentials.c.id)).scalar_one()
        bind.execute(sa.update(integrations).where(integrations.c.id.in_([r["id"] for r in members]))
                     .values(credential_id=credential_id))


def downgrade():
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    credentials = _credentials()
    integrations = sa.table("integrations", sa.column("id"), sa.column("credential_id"),
                            *(sa.column(name) for name in TOKEN_COLUMNS))
    for credential in bind.execute(sa.select(credentials)).mappings().all():
        bind.execute(sa.update(integrations).where(integrations.c.credential_id == credential["id"])
                     .values(**{name: credential[name] for name in TOKEN_COLUMNS}))
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_integrations_credential_id_credentials"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_integrations_credential_id"))
        batch_op.drop_column("credential_id")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_tenant_id"))
    op.drop_table("credentials")
