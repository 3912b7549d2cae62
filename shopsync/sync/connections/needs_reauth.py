"""Marking an integration as needing the merchant to reconnect it, from the middle of other work."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from ...models import Integration, utcnow
from ...models.integration import NEEDS_REAUTH
from ...transactions import lock_not_available, own_transaction

_ROW_WAIT_MS = 2000


def set_needs_reauth(integration: Integration, reason: str) -> None:
    """Store the status in a transaction of its own; the caller's session sees it without committing.

    When the row stays locked (the caller's own transaction changed the integration), the status joins
    the caller's transaction instead: waiting on itself would never end.
    """
    values = {"status": NEEDS_REAUTH, "status_reason": reason, "updated_at": utcnow()}
    try:
        with own_transaction(lock_timeout_ms=_ROW_WAIT_MS) as session:
            session.execute(update(Integration).where(Integration.id == integration.id).values(**values))
    except DBAPIError as error:
        if not lock_not_available(error):
            raise
        for name, value in values.items():
            setattr(integration, name, value)
        return
    for name, value in values.items():
        set_committed_value(integration, name, value)
