"""Platform tokens are never in clear text: not in the database, the logs, the pages, or errors."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

from cryptography.fernet import Fernet

from shopsync.extensions import db
from shopsync.models import Integration, Tenant
from shopsync.security.credentials import access_token, refresh_token, store_tokens
from shopsync.security.tokens import TokenVault
from tests.conftest import TEST_DATABASE_URL
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
    assert "Re-encrypted the tokens of 1 integration" in result.stdout

    with app.app_context():
        db.session.expire_all()
        integration = db.session.get(Integration, integration_id)
        only_new = TokenVault([new_key])
        assert only_new.decrypt(integration.access_token_encrypted) == "access-123"
        assert only_new.decrypt(integration.refresh_token_encrypted) == "refresh-456"
        db.engine.dispose()
