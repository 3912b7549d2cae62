"""`flask db upgrade` builds the whole schema on both databases, and the models agree with it."""
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import MetaData, create_engine, func, insert, inspect, select

from tests.conftest import PG_ADMIN_URL

EXPECTED_TABLES = {
    "tenants", "users", "api_keys", "integrations", "products", "variants", "images", "locations",
    "inventory_levels", "tiktok_products", "tiktok_skus", "tiktok_warehouses", "product_links", "sync_runs",
    "sync_logs", "webhook_events", "alerts", "warehouse_mappings", "credentials", "orders", "order_lines",
    "order_events", "order_shipments", "carrier_mappings",
}


def _flask(args, database_url, tmp_path):
    env = dict(os.environ, DATABASE_URL=database_url, SHOPSYNC_INSTANCE_PATH=str(tmp_path),
               SHOPSYNC_SANDBOX="0", REDIS_URL="")
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


@pytest.fixture
def empty_postgres():
    name = f"shopsync_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_upgrade_then_no_pending_autogenerate_diff(backend, empty_postgres, tmp_path):
    url = empty_postgres if backend == "postgresql" else f"sqlite:///{tmp_path}/migrated.db"
    upgrade = _flask(["db", "upgrade"], url, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask(["db", "check"], url, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_downgrade_to_empty_and_back(empty_postgres, tmp_path):
    assert _flask(["db", "upgrade"], empty_postgres, tmp_path).returncode == 0
    down = _flask(["db", "downgrade", "base"], empty_postgres, tmp_path)
    assert down.returncode == 0, down.stderr
    engine = create_engine(empty_postgres.replace("postgresql://", "postgresql+psycopg://"))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    assert _flask(["db", "upgrade"], empty_postgres, tmp_path).returncode == 0


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_tokens_move_to_one_credential_per_grant(backend, empty_postgres, tmp_path):
    """Shops of one TikTok authorization (same expiries) share a grant; other integrations keep their own;
    rebuilding the integrations table (SQLite) loses none of the rows that reference it."""
    url = empty_postgres if backend == "postgresql" else f"sqlite:///{tmp_path}/migrated.db"
    assert _flask(["db", "upgrade", "0005"], url, tmp_path).returncode == 0
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    meta = MetaData()
    meta.reflect(engine, only=["tenants", "integrations", "locations"])
    tenants, integrations, locations = meta.tables["tenants"], meta.tables["integrations"], meta.tables["locations"]
    now = datetime.now(timezone.utc)
    week, year = now + timedelta(days=7), now + timedelta(days=365)
    with engine.begin() as conn:
        tenant = conn.execute(insert(tenants).values(name="m", shop_domain="m.myshopify.com", digest_minutes=60,
                                                     created_at=now).returning(tenants.c.id)).scalar_one()
        rows = [("shopify", "m.myshopify.com", b"s-access", now, b"s-refresh", year),
                ("tiktok", "US1", b"t-access", week, b"t-refresh", year),
                ("tiktok", "UK1", b"t-access-copy", week, b"t-refresh-copy", year),
                ("tiktok", "OTHER", b"o-access", now, b"o-refresh", week)]
        for platform, external_id, access, access_exp, refresh, refresh_exp in rows:
            integration = conn.execute(insert(integrations).values(
                tenant_id=tenant, platform=platform, external_id=external_id, name=external_id, status="active",
                defaults={}, created_at=now, access_token_encrypted=access, access_token_expires_at=access_exp,
                refresh_token_encrypted=refresh, refresh_token_expires_at=refresh_exp)
                .returning(integrations.c.id)).scalar_one()
            if platform == "shopify":
                conn.execute(insert(locations).values(tenant_id=tenant, integration_id=integration, shopify_id=1,
                                                      name="Warehouse", is_active=True))
    upgrade = _flask(["db", "upgrade", "head"], url, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    meta = MetaData()
    meta.reflect(engine, only=["integrations", "credentials", "locations"])
    integrations, credentials = meta.tables["integrations"], meta.tables["credentials"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(meta.tables["locations"])).scalar() == 1
        grant_of = dict(conn.execute(select(integrations.c.external_id, integrations.c.credential_id)).all())
        tokens = {row.id: (row.platform, row.grant_key, bytes(row.access_token_encrypted))
                  for row in conn.execute(select(credentials))}
    engine.dispose()
    assert grant_of["US1"] == grant_of["UK1"]
    assert len({grant_of["m.myshopify.com"], grant_of["US1"], grant_of["OTHER"]}) == 3 == len(tokens)
    assert tokens[grant_of["m.myshopify.com"]] == ("shopify", "m.myshopify.com", b"s-access")
    assert tokens[grant_of["OTHER"]][2] == b"o-access"
    assert tokens[grant_of["US1"]][2] in (b"t-access", b"t-access-copy")
    assert "access_token_encrypted" not in {c["name"] for c in inspect(create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"))).get_columns("integrations")}
