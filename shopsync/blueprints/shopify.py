"""Shopify webhook intake: one endpoint for every topic, answered in milliseconds.

Order matters: size limit before reading, HMAC over the raw bytes before any
parsing, then record (deduplicated) and enqueue. Applying the change is a job.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from ..extensions import csrf
from ..platforms.shopify.oauth import is_valid_shop_domain
from ..platforms.shopify.webhooks import WebhookDelivery, body_names_its_shop, verify_webhook_hmac_any
from ..sync.intake.shopify import accept_delivery, record_refused
from ..sync.connections.webhook_subscriptions import WEBHOOK_PATH

bp = Blueprint("shopify_webhooks", __name__)

SHOP_MISMATCH = "refused: body names another shop"


def raw_body(limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes before more is read."""
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        abort(413)
    return body


@bp.post(WEBHOOK_PATH)
@csrf.exempt
def receive():
    config = current_app.config
    body = raw_body(config["WEBHOOK_MAX_BYTES"])
    secrets = (config["SHOPIFY_API_SECRET"], config.get("SHOPIFY_PREVIOUS_API_SECRET"))
    if not verify_webhook_hmac_any(body, request.headers.get("X-Shopify-Hmac-Sha256"), secrets):
        return "", 401
    try:
        delivery = WebhookDelivery.from_headers(request.headers)
    except ValueError:
        abort(400, "X-Shopify-Triggered-At is not a timestamp")
    if not is_valid_shop_domain(delivery.shop_domain) or not delivery.topic:
        abort(400, "missing or invalid X-Shopify-Shop-Domain or X-Shopify-Topic")
    if not (delivery.event_id or delivery.webhook_id):
        abort(400, "missing X-Shopify-Event-Id")
    if not body_names_its_shop(delivery.topic, body, delivery.shop_domain):
        current_app.logger.warning("refused %s for %s: its body names another shop", delivery.topic,
                                   delivery.shop_domain)
        record_refused(delivery, SHOP_MISMATCH)
        abort(400, "the body names another shop than X-Shopify-Shop-Domain")
    accept_delivery(delivery, body)
    return "", 200
