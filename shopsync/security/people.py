"""Ending a person's access: their sessions everywhere, and the API keys they made."""
from __future__ import annotations

from sqlalchemy import update

from ..extensions import db
from ..models import User, utcnow
from . import api_keys


def end_sessions(tenant_id: int, user_ids: list[int] | None = None) -> None:
    """Every session of these people (all of the account's, when None) stops working. Does not commit."""
    query = update(User).where(User.tenant_id == tenant_id)
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    db.session.execute(query.values(session_version=User.session_version + 1))


def cut_off(tenant_id: int, user_ids: list[int] | None = None) -> None:
    """End these people's sessions and revoke the API keys they made (everyone's, when None). Does not commit."""
    end_sessions(tenant_id, user_ids)
    api_keys.revoke_all(tenant_id, user_ids)


def remove(user: User) -> None:
    """The owner takes a person's access away: out now, and kept out of logging in again. Commits."""
    user.removed_at = utcnow()
    db.session.flush()
    cut_off(user.tenant_id, [user.id])
    db.session.commit()


def give_back(user: User) -> None:
    """A removed person may log in again (their old sessions and keys stay ended). Commits."""
    user.removed_at = None
    db.session.commit()
