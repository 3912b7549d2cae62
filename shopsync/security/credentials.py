"""Reading and writing tokens through the vault, in one place.

Tokens belong to a grant (models.Credential): a Shopify store's install, or one TikTok
seller authorization shared by every shop it covers. The functions taking an integration
act on its grant, so a token refreshed for one shop serves all the shops of that grant.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from ..extensions import db
from ..models import Credential, Integration, utcnow
from .tokens import vault


def access_token(integration: Integration) -> str | None:
    credential = integration.credential
    return vault().decrypt(credential.access_token_encrypted) if credential else None


def refresh_token(integration: Integration) -> str | None:
    credential = integration.credential
    return vault().decrypt(credential.refresh_token_encrypted) if credential else None


def access_expires_at(integration: Integration) -> datetime | None:
    return integration.credential.access_token_expires_at if integration.credential else None


def refresh_expires_at(integration: Integration) -> datetime | None:
    return integration.credential.refresh_token_expires_at if integration.credential else None


def has_tokens(integration: Integration) -> bool:
    credential = integration.credential
    return credential is not None and credential.access_token_encrypted is not None


def store_tokens(integration: Integration, *, access: str, access_expires_at: datetime | None,
                 refresh: str | None, refresh_expires_at: datetime | None, grant: str | None = None) -> Credential:
    """Store new tokens for the integration's grant (`grant`: the TikTok seller's open_id, when known).

    Integrations already on that grant share the new tokens. Does not commit.
    """
    credential = integration.credential
    if grant is not None or credential is None:
        credential = grant_of(integration, grant or _own_grant_key(integration))
        integration.credential = credential
    write_tokens(credential, access=access, access_expires_at=access_expires_at, refresh=refresh,
                 refresh_expires_at=refresh_expires_at)
    return credential


def write_tokens(credential: Credential, *, access: str, access_expires_at: datetime | None,
                 refresh: str | None, refresh_expires_at: datetime | None) -> None:
    box = vault()
    credential.access_token_encrypted = box.encrypt(access)
    credential.access_token_expires_at = access_expires_at
    credential.refresh_token_encrypted = box.encrypt(refresh)
    credential.refresh_token_expires_at = refresh_expires_at
    credential.updated_at = utcnow()


def grant_of(integration: Integration, grant_key: str) -> Credential:
    """The tenant's credential row for this grant, new (and pending in the session) if there is none."""
    session = _session_of(integration)
    with session.no_autoflush:
        credential = session.execute(select(Credential).where(
            Credential.tenant_id == integration.tenant_id, Credential.platform == integration.platform,
            Credential.grant_key == grant_key)).scalar_one_or_none()
    if credential is None:
        credential = Credential(tenant_id=integration.tenant_id, platform=integration.platform, grant_key=grant_key)
        session.add(credential)
    return credential


def forget_tokens(integration: Integration) -> None:
    """The integration stops using its grant; a grant no other integration uses is deleted. Does not commit."""
    credential = integration.credential
    integration.credential = None
    if credential is None or credential.id is None:
        return
    session = _session_of(integration)
    session.flush()
    others = session.execute(select(func.count()).select_from(Integration).where(
        Integration.credential_id == credential.id)).scalar_one()
    if not others:
        session.delete(credential)


def _own_grant_key(integration: Integration) -> str:
    """A grant for this integration alone: a Shopify store is its own grant; a TikTok shop whose seller is
    not known yet gets one keyed by the shop."""
    if integration.platform == "shopify":
        return integration.external_id
    return f"shop:{integration.external_id}"


def _session_of(integration: Integration) -> Session:
    return object_session(integration) or db.session()


def rotate_all(session) -> int:
    """Re-encrypt every stored token with the newest key, one grant at a time; returns how many grants.

    Each row is locked and read again before it is rewritten and committed at once, so a refresh that
    stored new tokens meanwhile is re-encrypted, never overwritten with the tokens read earlier.
    """
    box = vault()
    ids = session.execute(select(Credential.id).order_by(Credential.id)).scalars().all()
    session.rollback()
    count = 0
    for credential_id in ids:
        credential = session.execute(select(Credential).where(Credential.id == credential_id).with_for_update()
                                     .execution_options(populate_existing=True)).scalar_one_or_none()
        if credential is not None:
            credential.access_token_encrypted = box.rotate(credential.access_token_encrypted)
            credential.refresh_token_encrypted = box.rotate(credential.refresh_token_encrypted)
            count += 1
        session.commit()
    return count
