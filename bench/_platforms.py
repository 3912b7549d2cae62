"""The platforms a benchmark runs against: the app and both sandboxes on live servers, PostgreSQL and Redis."""
from __future__ import annotations

import os
from contextlib import ExitStack

from cryptography.fernet import Fernet

from bench._scratch import fresh_database


def start_platforms(database: str, stack: ExitStack, **env: str):
    """The app and both sandboxes on live servers, a scratch database and a private Redis, `env` on top of the
    benchmark's environment; returns (app, shopify sandbox, tiktok sandbox) with an app context entered."""
    from tests.support.redis_server import private_redis
    from tests.support.servers import LiveServer

    redis_url = stack.enter_context(private_redis())
    servers = {"app": LiveServer(), "sandbox": LiveServer()}
    os.environ.update({
        "DATABASE_URL": fresh_database(database), "REDIS_URL": redis_url, "SECRET_KEY": "bench",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "PUBLIC_URL": servers["app"].url,
        "SANDBOX_URL": servers["sandbox"].url, "SHOPSYNC_SANDBOX": "1", "SHOPSYNC_SANDBOX_MOUNT": "0",
        "MAIL_ENABLED": "0", "RATELIMIT_AUTH": "10000 per minute", **env,
    })
    from flask_migrate import upgrade

    from shopsync import create_app
    from shopsync.sandbox.app import create_sandbox_app, settings_from_app_config

    app = create_app()
    with app.app_context():
        upgrade()
    servers["app"].start(app)
    sandbox_app = create_sandbox_app(settings_from_app_config(app.config))
    servers["sandbox"].start(sandbox_app)
    stack.enter_context(app.app_context())
    return app, sandbox_app.extensions["shopify_sandbox"], sandbox_app.extensions["tiktok_sandbox"]
