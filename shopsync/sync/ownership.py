"""One owner per TikTok shop and per Shopify store (docs/engine.md, "One owner per TikTok shop").

On PostgreSQL the owner holds a session-level advisory lock, two-int form
(namespace, id), on a connection checked out from the engine for that purpose
and kept until the block ends. Nothing about it expires: it lasts exactly as long
as the job holds that connection, however long one platform call takes, and a
dead worker's connection closes and frees it at once. On SQLite (the embedded
default, one process) it is a process-local lock per key.

`owner.check()` runs before each platform call: if the lock connection is gone
(database restart, a terminated backend) it raises NotOwner, so a job that may
no longer be the owner stops before it writes anything more.

Taking an owner this thread already holds (a job calling a helper that takes it
too) yields the same owner rather than waiting on itself.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..extensions import db
from ..transactions import lock_not_available

log = logging.getLogger(__name__)

TIKTOK_SHOP = 1_414_001  # advisory lock namespaces: arbitrary, fixed, distinct
SHOPIFY_STORE = 1_414_002
CREDENTIAL = 1_414_003
WAIT_SECONDS = 120.0  # how long a waiting owner waits before giving up (its job retries later)


class NotOwner(Exception):
    """This job is no longer (or never was) the owner: it must stop before its next platform call."""


class Owner:
    """The owner of one key for the duration of a `with` block."""

    def __init__(self, namespace: int, key: int, connection=None):
        self.namespace, self.key = namespace, key
        self._connection = connection
        self._released = False

    def check(self) -> None:
        """Raise NotOwner unless the lock is still held (its connection is alive)."""
        if self._released:
            raise NotOwner(f"owner {self.namespace}:{self.key} already released")
        if self._connection is None:
            return
        try:
            self._connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError as error:
            raise NotOwner(f"lost the lock connection of {self.namespace}:{self.key}") from error


def shop_owner(tiktok_integration_id: int, wait: bool = True, timeout: float = WAIT_SECONDS):
    """Own this TikTok shop: every push, reconcile, TikTok catalog page and order write runs as its owner.

    Yields an Owner, or None when `wait` is False and someone else owns it (or waiting timed out).
    """
    return _own(TIKTOK_SHOP, tiktok_integration_id, wait, timeout)


def store_owner(shopify_integration_id: int, wait: bool = False, timeout: float = WAIT_SECONDS):
    """Own this Shopify store's catalog import for as long as it runs (a bulk export can take hours)."""
    return _own(SHOPIFY_STORE, shopify_integration_id, wait, timeout)


def credential_owner(credential_id: int, timeout: float = WAIT_SECONDS):
    """Own one grant's tokens while refreshing them, so a grant is refreshed once however many shops ask."""
    return _own(CREDENTIAL, credential_id, True, timeout)


def shop_is_owned(tiktok_integration_id: int) -> bool:
    """Whether any process owns this shop right now (a probe: it takes nothing)."""
    return _is_owned(TIKTOK_SHOP, tiktok_integration_id)


# ---- the mechanism ----------------------------------------------------------------------------------
_held = threading.local()  # (namespace, key) -> [owner, depth] for this thread
_local_locks: dict[tuple[int, int], threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _int4(value: int) -> int:
    """Advisory keys are int4; a larger id folds onto another one, which only over-serializes."""
    return (int(value) + 2**31) % 2**32 - 2**31


@contextmanager
def _own(namespace: int, key: int, wait: bool, timeout: float) -> Iterator[Owner | None]:
    held = _held.__dict__.setdefault("owners", {})
    mine = held.get((namespace, key))
    if mine is not None:
        mine[1] += 1
        try:
            yield mine[0]
        finally:
            mine[1] -= 1
        return
    take = _own_postgres if db.engine.dialect.name == "postgresql" else _own_local
    with take(namespace, key, wait, timeout) as owner:
        if owner is None:
            yield None
            return
        held[(namespace, key)] = [owner, 1]
        try:
            yield owner
        finally:
            del held[(namespace, key)]
            owner._released = True


@contextmanager
def _own_postgres(namespace: int, key: int, wait: bool, timeout: float) -> Iterator[Owner | None]:
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    args = {"namespace": namespace, "key": _int4(key)}
    try:
        if wait:
            connection.exec_driver_sql(f"SET lock_timeout = {int(timeout * 1000)}")
            try:
                connection.execute(text("SELECT pg_advisory_lock(:namespace, :key)"), args)
                got = True
            except DBAPIError as error:
                if not lock_not_available(error):  # else: waited long enough
                    raise
                got = False
            connection.exec_driver_sql("RESET lock_timeout")
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
        yield Owner(namespace, key, connection)
    finally:
        _release_postgres(connection, args)


def _release_postgres(connection, args: dict) -> None:
    """Unlock and return the connection; a connection that cannot say it unlocked is closed instead,
    since a pooled connection still holding the lock would keep the shop owned forever."""
    try:
        if connection.execute(text("SELECT pg_advisory_unlock(:namespace, :key)"), args).scalar():
            connection.close()
            return
        log.warning("advisory lock %s:%s was not held at release", args["namespace"], args["key"])
    except SQLAlchemyError:
        log.warning("lock connection of %s:%s was lost before release", args["namespace"], args["key"])
    connection.invalidate()
    connection.close()


@contextmanager
def _own_local(namespace: int, key: int, wait: bool, timeout: float) -> Iterator[Owner | None]:
    lock = _local_lock(namespace, key)
    if not lock.acquire(blocking=wait, timeout=timeout if wait else -1):
        yield None
        return
    try:
        yield Owner(namespace, key)
    finally:
        lock.release()


def _local_lock(namespace: int, key: int) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks.setdefault((namespace, key), threading.Lock())


def _is_owned(namespace: int, key: int) -> bool:
    if db.engine.dialect.name != "postgresql":
        return _local_lock(namespace, key).locked()
    with db.engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = CAST(:namespace AS oid) AND objid = CAST(:key AS oid) AND objsubid = 2)"),
            {"namespace": namespace, "key": _int4(key) % 2**32}).scalar())
