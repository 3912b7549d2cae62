"""TikTok Shop webhook intake: signature over the raw body (constant time), record once, answer at once.

TikTok wants an empty 200 within 3 seconds (401 for a bad signature); applying the
notification is a job.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from ..extensions import csrf
from ..platforms.tiktok.webhooks import parse_notification, verify_webhook_signature
from ..sync.connections.tiktok_webhooks import WEBHOOK_PATH
from ..sync.intake.tiktok import accept_tiktok_delivery
from .shopify import raw_body

bp = Blueprint("tiktok_webhooks", __name__)


@bp.post(WEBHOOK_PATH)
@csrf.exempt
def receive():
    config = current_app.config
    body = raw_body(config["WEBHOOK_MAX_BYTES"])
    if not verify_webhook_signature(body, request.headers.get("Authorization", ""), config["TIKTOK_APP_KEY"],
                                    config["TIKTOK_APP_SECRET"]):
        return "", 401
    try:
        notification = parse_notification(body)
    except ValueError:
        abort(400, "not a TikTok Shop notification")
    accept_tiktok_delivery(notification, body)
    return "", 200
