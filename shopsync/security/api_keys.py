"""API keys for the JSON API: random, shown once, stored only as a SHA-256 hash.

A key looks like `ss_<random>`; its first characters are kept as a prefix so the
merchant can tell keys apart in the list without the key ever being stored.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from hmac import compare_digest

from sqlalchemy import select, update

from ..extensions import db
from ..models import ApiKey, utcnow

KEY_PREFIX = "ss_"
PREFIX_LENGTH = 11  # "ss_" + 8 random characters: enough to tell keys apart, useless to guess with
# Writing last_used_at on every call would turn each read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)
NAME_MAX = 100


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(tenant_id: int, name: str, created_by_id: int | None = None) -> tuple[ApiKey, str]:
    """Make a key for the tenant; returns the row and the key itself, which is never available again. Commits."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(tenant_id=tenant_id, name=name.strip()[:NAME_MAX], prefix=key[:PREFIX_LENGTH],
                 key_hash=hash_key(key), created_by_id=created_by_id)
    db.session.add(row)
    db.session.commit()
    return row, key


def authenticate(key: str) -> ApiKey | None:
    """The live key matching `key`, with its last use recorded; None for unknown or revoked keys."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(key)
    row = db.session.execute(select(ApiKey).where(ApiKey.key_hash == digest)).scalar_one_or_none()
    if row is None or not compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
        db.session.commit()
    return row


def revoke_all(tenant_id: int, created_by: list[int] | None = None) -> int:
    """Revoke the account's live keys (only those made by `created_by`, when given). Does not commit."""
    query = update(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.revoked_at.is_(None))
    if created_by is not None:
        query = query.where(ApiKey.created_by_id.in_(created_by))
    return db.session.execute(query.values(revoked_at=utcnow())).rowcount


def revoke(row: ApiKey) -> None:
    """Refuse the key from now on; the row stays so the list shows when it was revoked. Commits."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
