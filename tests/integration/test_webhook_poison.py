"""Signed deliveries that can never be applied are recorded as failed with the reason, shown to the merchant
and never retried again (review finding 9: they were retried by RQ and the recovery sweep without end)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from shopsync.extensions import db
from shopsync.jobs.webhooks import process_webhooks, recover_unprocessed_webhooks
from shopsync.models import WebhookEvent
from shopsync.sync.intake import failures
from tests.integration.test_shopify_webhooks import PROCESS, _post
from tests.support.shopify_import import install_store, take_jobs

pytestmark = pytest.mark.usefixtures("app_context")

NOW = "2026-11-25T12:00:00-05:00"
POISON = {
    "stock beyond INTEGER": ("inventory_levels/update", json.dumps(
        {"inventory_item_id": 808950810, "location_id": 655441491, "available": 10**20, "updated_at": NOW}).encode(),
        "does not fit"),
    "product id beyond BIGINT": ("products/update", json.dumps(
        {"id": 10**30, "title": "Poison", "updated_at": NOW, "variants": [], "images": []}).encode(), "does not fit"),
    "JSON nested 100,000 deep": ("products/update", b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                 "nested too deeply"),
    "not JSON": ("products/update", b"{not json", "not valid JSON"),
    "a list for the product": ("products/update", b"[1, 2, 3]", "cannot use"),
}


@pytest.fixture
def store(client, app, shop_domain):
    return install_store(client, app, shop_domain, import_catalog=False)


def _event(shop: str, topic: str) -> WebhookEvent:
    db.session.expire_all()
    return db.session.execute(select(WebhookEvent).where(WebhookEvent.shop == shop, WebhookEvent.topic == topic)
                              .order_by(WebhookEvent.id.desc()).limit(1)).scalar_one()


@pytest.mark.parametrize("name", list(POISON))
def test_a_poison_delivery_fails_once_for_good_and_the_merchant_sees_why(client, app, store, name):
    topic, body, why = POISON[name]
    assert _post(client, app, store.external_id, topic, {}, body=body).status_code == 200
    event = _event(store.external_id, topic)
    [job] = take_jobs(app, PROCESS, arg=event.id)
    process_webhooks(*job.args)  # does not raise: nothing for RQ to retry
    event = _event(store.external_id, topic)
    assert (event.outcome, event.attempts, event.payload) == ("failed", 1, None) and event.processed_at
    assert why in event.failure
    recover_unprocessed_webhooks(older_than_seconds=0)
    assert take_jobs(app, PROCESS, arg=event.id) == []  # the sweep leaves it alone
    process_webhooks(event.id)  # a stray copy of the job changes nothing
    assert _event(store.external_id, topic).attempts == 1
    page = client.get("/").get_data(as_text=True)
    assert f"A Shopify change ({topic}) could not be applied and will not be retried" in page and why in page


def test_a_delivery_whose_attempts_never_finish_is_given_up_after_the_bound(client, app, store):
    """A worker that dies mid-attempt (killed, out of memory) raises nothing: the count on the row still grows."""
    assert _post(client, app, store.external_id, "products/delete", {"id": 4242}).status_code == 200
    event = _event(store.external_id, "products/delete")
    take_jobs(app, PROCESS, arg=event.id)
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event.id).values(
        attempts=failures.MAX_ATTEMPTS))
    db.session.commit()
    process_webhooks(event.id)
    event = _event(store.external_id, "products/delete")
    assert event.outcome == "failed" and f"after {failures.MAX_ATTEMPTS} attempts" in event.failure


def test_a_good_delivery_counts_one_attempt_and_is_applied(client, app, store):
    assert _post(client, app, store.external_id, "products/delete", {"id": 4243}).status_code == 200
    event = _event(store.external_id, "products/delete")
    [job] = take_jobs(app, PROCESS, arg=event.id)
    process_webhooks(*job.args)
    event = _event(store.external_id, "products/delete")
    assert (event.outcome, event.attempts, event.failure) == ("not_found", 1, None)
    assert "could not be applied" not in client.get("/").get_data(as_text=True)
