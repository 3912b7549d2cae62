"""Flask extensions, created once and bound to the app in create_app."""
from __future__ import annotations

import sqlite3

import fakeredis
import redis
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from rq import Queue
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite enforces foreign keys (and so tenant cascades) only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class Queues:
    """RQ queues on the configured Redis, or on an in-process fake Redis in the embedded default."""

    NAMES = ("high", "default", "low")

    def __init__(self) -> None:
        self._fake_server: fakeredis.FakeServer | None = None

    def init_app(self, app: Flask) -> None:
        url = app.config["REDIS_URL"]
        if url:
            connection = redis.Redis.from_url(url)
        else:
            self._fake_server = self._fake_server or fakeredis.FakeServer()
            connection = fakeredis.FakeRedis(server=self._fake_server)
        app.extensions["shopsync.redis"] = connection

    @staticmethod
    def connection(app: Flask) -> redis.Redis:
        return app.extensions["shopsync.redis"]

    def get(self, app: Flask, name: str = "default") -> Queue:
        return Queue(name, connection=self.connection(app))


queues = Queues()
