"""Writes that must not ride on the caller's transaction.

Helpers that store refreshed tokens, mark an integration for reconnection or record an
alert are called from the middle of other work. Committing the caller's session there
would commit its half-done changes (and release its row locks); rolling it back would
lose them. These writes go through a session of their own on another connection instead.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .extensions import db

# A row the caller itself holds locked would otherwise make its own helper wait forever.
LOCK_TIMEOUT_MS = 15_000
LOCK_NOT_AVAILABLE = "55P03"


@contextmanager
def own_transaction(lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> Iterator[Session]:
    """A session on its own connection, committed when the block ends (rolled back if it raises).

    On PostgreSQL a row lock it waits for longer than `lock_timeout_ms` raises (see lock_not_available).
    """
    with Session(db.engine, expire_on_commit=False) as session, session.begin():
        if db.engine.dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
        yield session


def lock_not_available(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
