"""No secret reaches the access log, the sandbox's included (review finding 11)."""
from __future__ import annotations

import logging
import re

import requests

from shopsync.extensions import db
from shopsync.models import Integration
from shopsync.security.log_redaction import redact
from shopsync.sync.connections.tiktok_access import refresh_tokens
from tests.support.journeys import connect_tiktok, install_shop


def test_token_exchanges_and_callbacks_leave_no_secret_in_the_access_log(
        caplog, app, client, servers, tiktok_sandbox, shop_domain):
    caplog.set_level(logging.INFO, logger="werkzeug")
    install_shop(client, shop_domain)
    [tiktok_id] = connect_tiktok(client, tiktok_sandbox)[:1]
    with app.app_context():
        refresh_tokens(db.session.get(Integration, tiktok_id))
    requests.get(servers["app"].url + "/auth/shopify/callback",
                 params={"code": "one-time-code-4711", "shop": shop_domain, "state": "s", "hmac": "h"}, timeout=10)

    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    token_lines = [line for line in lines if "/auth/api/v2/token/" in line]
    assert len(token_lines) >= 2  # the code exchange and the refresh were logged, without their secrets
    text = "\n".join(lines)
    assert app.config["TIKTOK_APP_SECRET"] not in text
    assert "one-time-code-4711" not in text
    for name in ("app_secret", "auth_code", "refresh_token", "code"):
        assert not re.search(rf"[?&]{name}=(?!\[redacted\])", text), name


def test_redact_blanks_only_secret_parameters():
    line = '"GET /tiktok/auth/api/v2/token/get?app_key=k&app_secret=s3cret&auth_code=c0de&grant_type=authorized_code"'
    assert redact(line) == ('"GET /tiktok/auth/api/v2/token/get?app_key=k&app_secret=[redacted]'
                            '&auth_code=[redacted]&grant_type=authorized_code"')
