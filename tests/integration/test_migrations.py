"""`flask db upgrade` builds the whole schema on both databases, and the models agree with it."""
import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from tests.conftest import PG_ADMIN_URL

EXPECTED_TABLES = {
    "tenants", "users", "api_keys", "integrations", "products", "variants", "images", "locations",
    "inventory_levels", "tiktok_products", "tiktok_skus", "tiktok_warehouses", "product_links", "sync_runs",
    "sync_logs", "webhook_events", "alerts", "warehouse_mappings", "orders", "order_lines", "order_events",
    "order_shipments", "carrier_mappings",
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
