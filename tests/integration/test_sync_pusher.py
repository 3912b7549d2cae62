"""Pushing plans to the TikTok sandbox in-process: one call per product and field, logs, states, dirty marks."""
from __future__ import annotations

from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Integration, ProductLink, SyncLog, SyncRun, TikTokSku
from shopsync.sync.pushes import flush
from shopsync.sync.pushes.dirty import mark_variants_dirty
from tests.support.factories import LOCATION_IDS, make_world, no_lock, sandbox, set_stock  # noqa: F401

NO_LOCK = no_lock

def product_calls(sandbox, product_id: str, kind: str):
    return sandbox.calls(f"/product/202309/products/{product_id}/{kind}/update")

def links(world) -> list[ProductLink]:
    db.session.expire_all()
    return db.session.execute(select(ProductLink).where(ProductLink.id.in_(world.link_ids))
                              .order_by(ProductLink.id)).scalars().all()

def test_three_skus_of_one_product_go_in_one_call_per_field(sandbox):
    world = make_world(sandbox, skus=3, price="19.00")
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.calls == 2 and outcome.pushed == 6 and not outcome.failed
    [inventory] = product_calls(sandbox, world.tiktok_product_id, "inventory")
    [prices] = product_calls(sandbox, world.tiktok_product_id, "prices")
    assert sorted(s["id"] for s in inventory.body["skus"]) == sorted(world.sku_ids)
    assert {s["price"]["amount"] for s in prices.body["skus"]} == {"19.00"}
    for sku_id in world.sku_ids:
        state = sandbox.sku_state(sku_id)
        assert state["price"] == "19.00"
        assert state["inventory"][world.warehouse_ids[0]] == 7
    for link in links(world):
        assert (link.state, link.dirty, link.last_pushed_price, link.last_pushed_quantity) == (
            "ok", False, Decimal("19.00"), 7)
    logs = db.session.execute(select(SyncLog).where(SyncLog.link_id.in_(world.link_ids))).scalars().all()
    assert len(logs) == 6 and {log.result for log in logs} == {"ok"}
    assert all(log.request_id and log.trigger == "webhook" for log in logs)
    run = db.session.get(SyncRun, logs[0].run_id)
    assert (run.kind, run.status, run.total, run.done, run.failed) == ("push", "succeeded", 3, 3, 0)

def test_second_flush_with_nothing_changed_makes_no_calls(sandbox):
    world = make_world(sandbox, skus=2)
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    sandbox.clear_calls()
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.calls == 0 and sandbox.calls() == []
    assert not any(link.dirty for link in links(world))

def test_only_the_changed_sku_and_field_is_sent(sandbox):
    world = make_world(sandbox, skus=3)
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    sandbox.clear_calls()
    set_stock(world, 2, LOCATION_IDS[0], 20)
    mark_variants_dirty(world.tenant_id, [world.variant_ids[2]])
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    [call] = sandbox.calls()
    assert call.path.endswith("/inventory/update")
    [sku] = call.body["skus"]
    assert sku["id"] == world.sku_ids[2]
    assert {i["warehouse_id"]: i["quantity"] for i in sku["inventory"]}[world.warehouse_ids[0]] == 24

def test_change_during_push_keeps_the_link_dirty(sandbox, monkeypatch):
    world = make_world(sandbox, skus=1)
    from shopsync.sync.pushes import pusher

    real = pusher.update_inventory

    def change_meanwhile(client, product_id, skus):
        answer = real(client, product_id, skus)
        with db.engine.begin() as other:  # another worker's webhook lands mid-push
            other.execute(ProductLink.__table__.update().where(ProductLink.id == world.link_ids[0])
                          .values(change_seq=ProductLink.change_seq + 1, dirty=True))
        return answer

    monkeypatch.setattr(pusher, "update_inventory", change_meanwhile)
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    # the loop saw the new mark and planned again; the value had not changed, so no second call
    assert outcome.calls == 2
    assert not links(world)[0].dirty

def test_permanent_failure_marks_the_link_and_alerts_once_then_recovers(sandbox):
    world = make_world(sandbox, skus=2)
    sandbox.set_under_review(world.tiktok_product_id)
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    failed = links(world)
    assert {link.state for link in failed} == {"error"}
    assert "12052901" in failed[0].last_error and failed[0].last_error_class == "permanent"
    assert not any(link.dirty for link in failed)  # waits for a change instead of retrying forever
    errors = db.session.execute(select(SyncLog).where(SyncLog.link_id.in_(world.link_ids))).scalars().all()
    assert {(log.result, log.error_class) for log in errors} == {("error", "permanent")}
    alerts = db.session.execute(select(Alert).where(Alert.tenant_id == world.tenant_id)).scalars().all()
    assert {a.kind for a in alerts} == {"link_failed"} and len(alerts) == 2
    assert sum(1 for a in alerts if a.sent_at) == 1  # one email now, the other held for the digest
    adapter = current_app.url_map.bind("localhost")
    for alert in alerts:  # the email's fix link opens that link's page
        endpoint, args = adapter.match(alert.details["fix_path"])
        assert endpoint == "links.detail" and args["link_id"] in world.link_ids

    sandbox.set_under_review(world.tiktok_product_id, False)
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert {link.state for link in links(world)} == {"ok"}
    db.session.expire_all()
    assert {a.state for a in db.session.execute(
        select(Alert).where(Alert.tenant_id == world.tenant_id)).scalars()} == {"recovered"}

def test_transient_failure_keeps_links_dirty_for_the_retry(sandbox):
    world = make_world(sandbox, skus=1)
    sandbox.set_fault("server_error", count=20)
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.retry_later
    [link] = links(world)
    assert link.dirty and link.last_pushed_quantity is None and link.state == "pending"
    log = db.session.execute(select(SyncLog).where(SyncLog.link_id == link.id)).scalars().first()
    assert (log.result, log.error_class) == ("error", "transient")
    sandbox.clear_faults()
    assert not flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK).retry_later
    assert links(world)[0].last_pushed_quantity == 7

def test_expired_token_is_refreshed_once_and_the_push_goes_through(sandbox):
    world = make_world(sandbox, skus=1)
    sandbox.set_fault("token_expired", count=1)
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.pushed == 2 and not outcome.reauth_integrations
    assert db.session.get(Integration, world.tiktok_id).status == "active"

def test_refused_refresh_marks_needs_reauth_and_leaves_links_dirty(sandbox):
    world = make_world(sandbox, skus=1)
    sandbox.set_fault("token_expired", count=1)
    with sandbox.lock:
        sandbox.refresh_tokens.clear()
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.reauth_integrations == {world.tiktok_id}
    db.session.expire_all()
    assert db.session.get(Integration, world.tiktok_id).status == "needs_reauth"
    [link] = links(world)
    assert link.dirty and link.state == "pending"

def test_pushed_values_update_our_copy_of_the_tiktok_sku(sandbox):
    world = make_world(sandbox, skus=1, price="33.00")
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    db.session.expire_all()
    sku = db.session.get(TikTokSku, world.sku_rows[0])
    assert sku.price == Decimal("33.00")
    assert sku.inventory == sandbox.sku_state(world.sku_ids[0])["inventory"]

def test_price_without_a_currency_rate_fails_the_link_visibly_while_stock_syncs(sandbox):
    world = make_world(sandbox, skus=1, price="49.00", shop_index=1)  # a GBP shop fed by a USD store
    db.session.get(Integration, world.shopify_id).currency = "USD"
    db.session.commit()
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.calls == 1 and product_calls(sandbox, world.tiktok_product_id, "prices") == []
    [link] = links(world)
    assert (link.last_pushed_quantity, link.last_pushed_price) == (7, None)
    assert link.state == "error" and "Shopify sells in USD and this TikTok shop in GBP" in link.last_error
    assert not link.dirty  # waits for a settings change instead of replanning every flush
    [alert] = db.session.execute(select(Alert).where(Alert.tenant_id == world.tenant_id)).scalars().all()
    assert (alert.kind, alert.subject_key, alert.state) == ("link_failed", f"link:{link.id}", "failing")
    assert alert.details["fix_path"] == f"/product-links/{link.id}"

    set_stock(world, 0, LOCATION_IDS[0], 10)  # a later stock change pushes, and the link stays failing
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    [link] = links(world)
    assert link.last_pushed_quantity == 14 and link.state == "error" and link.last_error
    assert len(db.session.execute(select(Alert).where(Alert.tenant_id == world.tenant_id)).scalars().all()) == 1

    link.currency_rate = Decimal("0.8")  # the merchant sets a rate: the price goes out in GBP
    db.session.commit()
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    [link] = links(world)
    assert (link.state, link.last_error, link.last_pushed_price) == ("ok", None, Decimal("39.20"))
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "39.20"
    assert db.session.execute(select(Alert.state).where(Alert.tenant_id == world.tenant_id)).scalars().all() == [
        "recovered"]


def test_a_link_whose_problem_went_away_recovers_with_nothing_to_push(sandbox):
    world = make_world(sandbox, skus=1, price="49.00", shop_index=1)
    shopify = db.session.get(Integration, world.shopify_id)
    shopify.currency = "USD"
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert links(world)[0].state == "error"
    db.session.query(ProductLink).filter_by(id=world.link_ids[0]).update({"last_pushed_price": Decimal("49.00")})
    shopify.currency = "GBP"  # the store now sells in the shop's currency, at the price TikTok already shows
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    assert outcome.calls == 0
    [link] = links(world)
    assert (link.state, link.last_error, link.dirty) == ("ok", None, False)
    assert db.session.execute(select(Alert.state).where(Alert.tenant_id == world.tenant_id)).scalars().all() == [
        "recovered"]
