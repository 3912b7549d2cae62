"""SQL that differs between PostgreSQL and SQLite."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(dialect_name: str):
    """The INSERT construct with ON CONFLICT support for this database."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert
