"""Reading and writing an integration's tokens through the vault, in one place."""
from __future__ import annotations

from datetime import datetime

from ..models import Integration
from .tokens import vault


def access_token(integration: Integration) -> str | None:
    return vault().decrypt(integration.access_token_encrypted)


def refresh_token(integration: Integration) -> str | None:
    return vault().decrypt(integration.refresh_token_encrypted)


def store_tokens(integration: Integration, *, access: str, access_expires_at: datetime | None,
                 refresh: str | None, refresh_expires_at: datetime | None) -> None:
    box = vault()
    integration.access_token_encrypted = box.encrypt(access)
    integration.access_token_expires_at = access_expires_at
    integration.refresh_token_encrypted = box.encrypt(refresh)
    integration.refresh_token_expires_at = refresh_expires_at


def forget_tokens(integration: Integration) -> None:
    integration.access_token_encrypted = None
    integration.refresh_token_encrypted = None
    integration.access_token_expires_at = None
    integration.refresh_token_expires_at = None


def rotate_all(session) -> int:
    """Re-encrypt every stored token with the newest key; returns how many integrations changed."""
    box = vault()
    count = 0
    for integration in session.query(Integration).yield_per(500):
        integration.access_token_encrypted = box.rotate(integration.access_token_encrypted)
        integration.refresh_token_encrypted = box.rotate(integration.refresh_token_encrypted)
        count += 1
    session.commit()
    return count
