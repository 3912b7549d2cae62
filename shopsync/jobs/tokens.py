"""Scheduled token upkeep."""
from __future__ import annotations

from ..sync.connections.tiktok_access import refresh_expiring_tokens
from . import app_job


@app_job
def refresh_expiring_tiktok_tokens() -> int:
    """Refresh TikTok shops whose access token expires within a day, before a sync trips over it."""
    return refresh_expiring_tokens()
