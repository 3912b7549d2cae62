"""Merchants (tenants), the people who log in for them, and their API keys."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, TenantOwned, Timestamps, UTCDateTime


OWNER = "owner"
STAFF = "staff"


class Tenant(Timestamps, db.Model):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    shop_domain: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    alert_email: Mapped[str | None] = mapped_column(String(320))
    digest_minutes: Mapped[int] = mapped_column(Integer, default=60, nullable=False)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the owner lets staff do besides viewing, linking and syncing (security.roles).
    staff_may_manage_api_keys: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                             nullable=False)
    staff_may_manage_alerts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                          nullable=False)
    staff_may_manage_shops: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                         nullable=False)

    users: Mapped[list["User"]] = relationship(back_populates="tenant", passive_deletes=True)


class User(UserMixin, TenantOwned, Timestamps, db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "shopify_user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shopify_user_id: Mapped[int] = mapped_column(BigId, nullable=False)
    # The store the person last logged in through: their role is theirs in that store, and they go with it
    # when it is erased (shop/redact).
    shopify_integration_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    account_owner: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    role: Mapped[str] = mapped_column(String(20), default=STAFF, nullable=False)  # the store's account owner or staff
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's user id: raising it ends all of this person's sessions at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    # Set when the account owner took this person's access away; they cannot log in until given it back.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.email or f"user {self.shopify_user_id}"


class ApiKey(TenantOwned, Timestamps, db.Model):
    """A key for the JSON API; only its hash is stored, the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
