"""Event API: a shop's webhook subscriptions (notes B3)."""
from __future__ import annotations

from werkzeug.routing import Rule

from shopsync.sandbox.tiktok.answers import Answer, Refused, body_of
from shopsync.sandbox.tiktok.catalog import Shop
from shopsync.sandbox.tiktok.events import EVENT_TYPES, address_problem
from shopsync.sandbox.tiktok.state import Call, TikTokSandbox

RULES = [Rule("/event/202309/webhooks", methods=["GET", "PUT", "DELETE"], endpoint="webhooks")]


def _event_type(body: dict) -> str:
    event_type = body.get("event_type")
    if event_type not in EVENT_TYPES:
        raise Refused(36009004, f"Invalid param: event_type must be one of {', '.join(EVENT_TYPES)}")
    return event_type


def _webhooks(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    if call.method == "PUT":
        body = body_of(call)
        event_type = _event_type(body)
        address = body.get("address") if isinstance(body.get("address"), str) else ""
        problem = address_problem(address)
        if problem:
            raise Refused(36009004, f"Invalid param: {problem}")
        sandbox.events.subscribe(shop.id, event_type, address, int(sandbox.clock()))
        return Answer()
    if call.method == "DELETE":
        sandbox.events.unsubscribe(shop.id, _event_type(body_of(call)))
        return Answer()
    webhooks = [s.as_json() for s in sandbox.events.of(shop.id)]
    return Answer(data={"webhooks": webhooks, "total_count": len(webhooks)})


ENDPOINTS = {"webhooks": _webhooks}
