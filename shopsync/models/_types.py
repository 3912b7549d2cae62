"""Column types and mixins shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Numeric, TypeDecorator
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(14, 4, asdecimal=True)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both PostgreSQL and SQLite (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TenantOwned:
    """Every row that belongs to a merchant carries tenant_id, removed with the tenant."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


def integration_fk():
    """The integration a catalog row was imported from; rows go with it."""
    return mapped_column(BigId, ForeignKey("integrations.id", ondelete="CASCADE"), index=True, nullable=False)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def contains_search_index(name: str, column: str) -> Index:
    """A trigram index on PostgreSQL, so `column ILIKE '%text%'` searches need not read every row.

    Needs the pg_trgm extension (created by migration 0002); elsewhere it is a plain index.
    """
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
