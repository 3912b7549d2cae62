"""ShopSync: keeps a merchant's TikTok Shop listings in step with their Shopify store."""
from __future__ import annotations

import logging
import os

from flask import Flask

from . import config as settings
from .extensions import csrf, db, limiter, login_manager, migrate, queues
from .security.log_redaction import redact_access_logs


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("SHOPSYNC_INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(settings.load(app.instance_path))
    if config:
        app.config.update(config)
    settings.check_sandbox(app.config["SHOPSYNC_ENV"] == "production", app.config["SANDBOX_ENABLED"])

    from . import models  # noqa: F401  (registers the tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    queues.init_app(app)
    _init_login(app)

    from .web import init_web
    init_web(app)

    from .blueprints import register_blueprints
    register_blueprints(app)

    from .cli import register_cli
    register_cli(app)

    if app.config["SANDBOX_ENABLED"] and app.config["SANDBOX_MOUNT"]:
        from .sandbox.app import mount_sandbox
        mount_sandbox(app)
    _trust_proxies(app)

    logging.getLogger("shopsync").setLevel(app.config["LOG_LEVEL"])
    redact_access_logs()
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS proxies, the client address and scheme come from their X-Forwarded-* headers
    (the rightmost hops only, so a client cannot choose its own address); with none, those headers are ignored."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _init_login(app: Flask) -> None:
    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in through Shopify to continue."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_user_id: str):
        """The session's user while the session is current: User.get_id() puts the user's session version
        beside their id, so raising the version (logout, uninstall, removal) ends every older session."""
        user_id, _, version = str(session_user_id).partition(":")
        try:
            user = db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or user.removed_at is not None or not version.isascii() or not version.isdigit() \
                or int(version) != user.session_version:
            return None
        return user
