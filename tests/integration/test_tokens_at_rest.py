"""Platform tokens are never in clear text: not in the database, the logs, the pages, or errors."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Credential, Integration, Tenant
from shopsync.security.credentials import access_token, refresh_token, rotate_all, store_tokens, write_tokens
from shopsync.security.tokens import TokenVault
from shopsync.transactions import own_transaction
from tests.conftest import PG_ADMIN_URL, TEST_DATABASE_URL
from tests.support.journeys import install_shop


def _tokens(app, shop):
    with app.app_context():
        integration = db.session.query(Integration).filter_by(external_id=shop).one()
        return access_token(integration), refresh_token(integration), integration.id


def test_tokens_never_appear_in_clear(app, client, shop_domain, caplog):
    caplog.set_level(logging.DEBUG)
    install_shop(client, shop_domain)
    access, refresh, _ = _tokens(app, shop_domain)
    assert access and refresh

    dump = subprocess.run(["pg_dump", "--data-only", TEST_DATABASE_URL], capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    assert access.encode() not in dump.stdout and refresh.encode() not in dump.stdout
    assert shop_domain.encode() in dump.stdout  # the dump really has this tenant's rows

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert access not in logged and refresh not in logged

    for path in ("/", "/login", "/healthz", "/no-such-page"):
        body = client.get(path).get_data(as_text=True)
        assert access not in body and refresh not in body

    with app.app_context():
        integration = db.session.query(Integration).filter_by(external_id=shop_domain).one()
        assert access not in repr(integration)


def test_rotate_keys_command_re_encrypts_every_token(tmp_path):
    """The real CLI on its own database, so the shared test database keeps its key."""
    from shopsync import create_app

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/rotate.db", SHOPSYNC_INSTANCE_PATH=str(tmp_path),
               REDIS_URL="", SHOPSYNC_SANDBOX="0", TOKEN_ENCRYPTION_KEYS=old_key)
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))

    def flask(*args, keys):
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=root, timeout=120,
                              env=dict(env, TOKEN_ENCRYPTION_KEYS=keys), capture_output=True, text=True)

    assert flask("db", "upgrade", keys=old_key).returncode == 0
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "TOKEN_ENCRYPTION_KEYS": [old_key],
                      "REDIS_URL": "", "SANDBOX_ENABLED": False})
    with app.app_context():
        tenant = Tenant(name="rotate", shop_domain="rotate.myshopify.com")
        db.session.add(tenant)
        db.session.flush()
        integration = Integration(tenant_id=tenant.id, platform="shopify", external_id=tenant.shop_domain)
        store_tokens(integration, access="access-123", access_expires_at=None, refresh="refresh-456",
                     refresh_expires_at=None)
        db.session.add(integration)
        db.session.commit()
        integration_id = integration.id

    result = flask("shopsync", "rotate-keys", keys=f"{new_key},{old_key}")
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted the tokens of 1 grant" in result.stdout

    with app.app_context():
        db.session.expire_all()
        integration = db.session.get(Integration, integration_id)
        only_new = TokenVault([new_key])
        assert only_new.decrypt(integration.credential.access_token_encrypted) == "access-123"
        assert only_new.decrypt(integration.credential.refresh_token_encrypted) == "refresh-456"
        db.engine.dispose()


def test_rotation_rewrites_grant_by_grant_and_keeps_a_refresh_made_meanwhile(tmp_path, monkeypatch):
    """A refresh stored while rotation runs is re-encrypted, not overwritten with the tokens read before it.

    On its own PostgreSQL database: rotation rewrites every grant, and the shared one keeps its key.
    """
    from shopsync import create_app

    name = f"shopsync_rotate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = dict(os.environ, DATABASE_URL=url, SHOPSYNC_INSTANCE_PATH=str(tmp_path), REDIS_URL="",
               SHOPSYNC_SANDBOX="0", TOKEN_ENCRYPTION_KEYS=old_key)
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    try:
        assert subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=root, env=env,
                              timeout=120, capture_output=True).returncode == 0
        app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                          "TOKEN_ENCRYPTION_KEYS": [new_key, old_key], "REDIS_URL": "", "SANDBOX_ENABLED": False})
        with app.app_context():
            ids = []
            for shop in ("first", "second"):
                tenant = Tenant(name=shop, shop_domain=f"{shop}.myshopify.com")
                db.session.add(tenant)
                db.session.flush()
                integration = Integration(tenant_id=tenant.id, platform="shopify", external_id=tenant.shop_domain)
                db.session.add(integration)
                store_tokens(integration, access=f"{shop}-access", access_expires_at=None,
                             refresh=f"{shop}-refresh", refresh_expires_at=None)
                db.session.commit()
                ids.append(integration.credential_id)
            refreshed = []
            rotate = TokenVault.rotate

            def rotate_while_the_second_grant_refreshes(box, ciphertext):
                if not refreshed:  # the first grant is being rewritten: the second one refreshes now
                    refreshed.append(True)
                    with own_transaction() as other:
                        write_tokens(other.get(Credential, ids[1]), access="second-access-2",
                                     access_expires_at=None, refresh="second-refresh-2", refresh_expires_at=None)
                return rotate(box, ciphertext)

            monkeypatch.setattr(TokenVault, "rotate", rotate_while_the_second_grant_refreshes)
            assert rotate_all(db.session) == 2
            monkeypatch.undo()
            only_new = TokenVault([new_key])
            stored = {row.id: (only_new.decrypt(row.access_token_encrypted),
                               only_new.decrypt(row.refresh_token_encrypted))
                      for row in db.session.execute(select(Credential)).scalars()}
            assert stored == {ids[0]: ("first-access", "first-refresh"),
                              ids[1]: ("second-access-2", "second-refresh-2")}
            db.engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
