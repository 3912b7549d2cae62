"""Refreshing a grant's tokens once, whichever of its shops and workers asks.

A refresh owns the grant (sync/ownership.py, so concurrent refreshers wait rather than race) and
rewrites its credentials row locked, in a transaction of its own: the caller's half-done work is
neither committed nor rolled back, and a key rotation waits for the row rather than overwriting it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ...extensions import db
from ...models import Credential, Integration
from ...platforms.http import AuthError, TransientError
from ...transactions import own_transaction
from ..ownership import credential_owner


@contextmanager
def grant_to_refresh(integration: Integration, name: str) -> Iterator[Credential]:
    """The integration's grant, read again and locked; what the block writes to it is committed at its end.

    Afterwards the caller's session reads the grant afresh (without ending its transaction).
    """
    credential_id = integration.credential_id
    if credential_id is None:
        raise AuthError(f"{name} is not connected", code="no_refresh_token")
    with credential_owner(credential_id) as owner:
        if owner is None:
            raise TransientError(f"another worker is still refreshing the token of {name}")
        try:
            with own_transaction() as session:
                credential = session.get(Credential, credential_id, with_for_update=True)
                if credential is None:
                    raise AuthError(f"{name} is not connected", code="no_refresh_token")
                yield credential
        finally:
            if integration.credential is not None:
                db.session.expire(integration.credential)
