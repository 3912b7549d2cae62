"""One owner per TikTok shop (docs/engine.md). A minimal stand-in for the `ownership` branch's module,
with the same names: take theirs at merge.

PostgreSQL: a session-level advisory lock on a connection held for the block. SQLite: a process-local lock.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

TIKTOK_SHOP = 1_414_001
WAIT_SECONDS = 120.0


class NotOwner(Exception):
    """This job is no longer the owner: it must stop before its next platform call."""


class Owner:
    def __init__(self, connection=None):
        self._connection = connection

    def check(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError as error:
            raise NotOwner("lost the lock connection") from error


_local: dict[int, threading.Lock] = {}
_guard = threading.Lock()


@contextmanager
def shop_owner(tiktok_integration_id: int, wait: bool = True, timeout: float = WAIT_SECONDS) -> Iterator[Owner | None]:
    if db.engine.dialect.name != "postgresql":
        with _guard:
            lock = _local.setdefault(tiktok_integration_id, threading.Lock())
        if not lock.acquire(blocking=wait, timeout=timeout if wait else -1):
            yield None
            return
        try:
            yield Owner()
        finally:
            lock.release()
        return
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    args = {"namespace": TIKTOK_SHOP, "key": (int(tiktok_integration_id) + 2**31) % 2**32 - 2**31}
    try:
        if wait:
            connection.exec_driver_sql(f"SET lock_timeout = {int(timeout * 1000)}")
            connection.execute(text("SELECT pg_advisory_lock(:namespace, :key)"), args)
            got = True
        else:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:namespace, :key)"), args).scalar()
    except BaseException:
        connection.invalidate()
        connection.close()
        raise
    if not got:
        connection.close()
        yield None
        return
    try:
        yield Owner(connection)
    finally:
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:namespace, :key)"), args)
            connection.close()
        except SQLAlchemyError:
            connection.invalidate()
            connection.close()
