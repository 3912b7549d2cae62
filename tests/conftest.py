"""Shared fixtures: real PostgreSQL and Redis, the sandbox and the app on live loopback servers.

Each pytest-xdist worker gets its own PostgreSQL database (migrated with
`flask db upgrade`) and Redis database. Tests isolate by creating their own
tenant and Shopify shop, so nothing depends on test order.
"""
from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from cryptography.fernet import Fernet

from tests.support.redis_server import private_redis
from tests.support.servers import LiveServer

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_NUMBER = int(WORKER.removeprefix("gw") or 0)
# One database per run and worker, so two test runs on one machine never share (or drop) each other's.
RUN_ID = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex)[:8]
TEST_DB = f"shopsync_test_{RUN_ID}_{WORKER}"
TEST_DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + TEST_DB


def _create_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')


def _drop_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis server of this test process's own, so runs and xdist workers never share queues."""
    with private_redis() as url:
        yield url


@pytest.fixture(autouse=True)
def _empty_redis_after_test(request):
    """Jobs, locks and limits a test leaves behind never reach the next test."""
    yield
    if "redis_url" in request.fixturenames:
        import redis

        redis.Redis.from_url(request.getfixturevalue("redis_url")).flushdb()


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """The app's and the sandbox's servers, bound before either app exists so each knows the other's URL."""
    return {"app": LiveServer(), "sandbox": LiveServer()}


@pytest.fixture(scope="session")
def test_env(servers, redis_url, tmp_path_factory):
    """The environment every process of the test run shares (the app here, RQ workers in subprocesses)."""
    _create_database()
    instance = tmp_path_factory.mktemp("instance")
    env = {
        "SHOPSYNC_INSTANCE_PATH": str(instance),
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PUBLIC_URL": servers["app"].url,
        "SANDBOX_URL": servers["sandbox"].url,
        "SHOPSYNC_SANDBOX": "1",
        "SHOPSYNC_SANDBOX_MOUNT": "0",
        "RATELIMIT_AUTH": "10000 per minute",
        "FLUSH_DEBOUNCE_SECONDS": "0.3",
        "MAIL_ENABLED": "0",
    }
    os.environ.update(env)
    yield env
    _drop_database()


@pytest.fixture(scope="session")
def app(test_env, servers):
    from flask_migrate import upgrade

    from shopsync import create_app

    app = create_app({"TESTING": True, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    with app.app_context():
        upgrade()
    servers["app"].start(app)
    return app


@pytest.fixture(scope="session")
def sandbox_app(app, servers):
    from shopsync.sandbox.app import create_sandbox_app, settings_from_app_config

    sandbox = create_sandbox_app(settings_from_app_config(app.config))
    servers["sandbox"].start(sandbox)
    return sandbox


@pytest.fixture(scope="session")
def shopify_sandbox(sandbox_app):
    return sandbox_app.extensions["shopify_sandbox"]


@pytest.fixture(scope="session")
def tiktok_sandbox(sandbox_app):
    return sandbox_app.extensions["tiktok_sandbox"]


@pytest.fixture
def app_context(app):
    with app.app_context() as context:
        yield context


@pytest.fixture
def client(app, sandbox_app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The app's CSRF protection is on in every test: tests post real tokens."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    return app


@pytest.fixture
def shop_domain() -> str:
    return f"test-{uuid.uuid4().hex[:12]}.myshopify.com"
