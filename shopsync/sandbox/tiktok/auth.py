"""The simulated auth.tiktok-shops.com token endpoints (unsigned GETs carrying the app secret)."""
from __future__ import annotations

import hmac
from typing import Mapping

from shopsync.sandbox.tiktok.api import Answer
from shopsync.sandbox.tiktok.state import TikTokSandbox


def token_get(sandbox: TikTokSandbox, query: Mapping[str, str]) -> Answer:
    refused = _check_app(sandbox, query, "authorized_code")
    if refused:
        return refused
    grant = sandbox.redeem_code(query.get("auth_code", ""))
    if grant is None:
        return Answer(36004004, "Invalid auth code")
    return Answer(data=sandbox.issue_tokens(grant.open_id))


def token_refresh(sandbox: TikTokSandbox, query: Mapping[str, str]) -> Answer:
    refused = _check_app(sandbox, query, "refresh_token")
    if refused:
        return refused
    token = query.get("refresh_token", "")
    with sandbox.lock:
        known = token in sandbox.refresh_tokens
        grant = sandbox.redeem_refresh_token(token)
    if grant is None:
        return Answer(36004001, "Refresh token has expired") if known else Answer(
            36004005, "Can not find related auth record")
    return Answer(data=sandbox.issue_tokens(grant.open_id))


def _check_app(sandbox: TikTokSandbox, query: Mapping[str, str], grant_type: str) -> Answer | None:
    settings = sandbox.settings
    if query.get("app_key") != settings["tiktok_app_key"]:
        return Answer(36009004, "Invalid app_key")
    if not hmac.compare_digest(query.get("app_secret", "").encode(), settings["tiktok_app_secret"].encode()):
        return Answer(36009004, "Invalid app_secret")
    if query.get("grant_type") != grant_type:
        return Answer(36009004, f"Invalid param: grant_type must be {grant_type}")
    return None
