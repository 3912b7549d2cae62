"""What TikTok sells is what the rules say: every seller warehouse, untracked variants, Sync now reading
TikTok first, and price guard rails (issue #14 items 1, 2, 6 and 8), pushed into the TikTok sandbox."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Integration, ProductLink, SyncLog, Variant, WarehouseMapping, utcnow
from shopsync.sync.links import actions
from shopsync.sync.pushes import flush
from shopsync.sync.runs import start_run
from tests.support.factories import LOCATION_IDS, make_world, no_lock, sandbox, set_stock  # noqa: F401


def confirm_default_mapping(world) -> None:
    db.session.get(Integration, world.tiktok_id).warehouses_confirmed_at = utcnow()
    db.session.commit()


def on_tiktok(sandbox, world, index: int = 0) -> dict[str, int]:
    return sandbox.sku_state(world.sku_ids[index])["inventory"]


def inventory_bodies(sandbox, world) -> list[dict]:
    path = f"/product/202309/products/{world.tiktok_product_id}/inventory/update"
    return [call.body for call in sandbox.calls(path) if call.code == 0]


def link_of(world, index: int = 0) -> ProductLink:
    db.session.expire_all()
    return db.session.get(ProductLink, world.link_ids[index])


# ---- warehouses ------------------------------------------------------------------------------------------
def test_a_confirmed_shop_gets_shopify_stock_once_not_once_per_warehouse(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 4, LOCATION_IDS[1]: 5})
    default, other = world.warehouse_ids
    sandbox.set_sku_inventory(world.sku_ids[0], {default: 0, other: 9})  # TikTok had 9 in the second warehouse
    confirm_default_mapping(world)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert on_tiktok(sandbox, world) == {default: 9, other: 0}  # 9 sellable, not 9 + 9
    assert link_of(world).last_pushed_quantity == 9


def test_each_warehouse_gets_the_locations_mapped_to_it(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 4, LOCATION_IDS[1]: 5})
    default, other = world.warehouse_ids
    db.session.add_all([WarehouseMapping(tenant_id=world.tenant_id, integration_id=world.tiktok_id,
                                         warehouse_id=default, location_ids=[LOCATION_IDS[0]]),
                        WarehouseMapping(tenant_id=world.tenant_id, integration_id=world.tiktok_id,
                                         warehouse_id=other, location_ids=[LOCATION_IDS[1]])])
    confirm_default_mapping(world)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert on_tiktok(sandbox, world) == {default: 4, other: 5}
    set_stock(world, 0, LOCATION_IDS[1], 1)
    from shopsync.sync.pushes.dirty import mark_variants_dirty
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert on_tiktok(sandbox, world) == {default: 4, other: 1}


def test_an_unconfirmed_shop_keeps_todays_numbers(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 4, LOCATION_IDS[1]: 5})
    default, other = world.warehouse_ids
    sandbox.set_sku_inventory(world.sku_ids[0], {default: 0, other: 6})
    from shopsync.models import TikTokSku
    db.session.get(TikTokSku, world.sku_rows[0]).inventory = {default: 0, other: 6}
    db.session.commit()
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert on_tiktok(sandbox, world) == {default: 9, other: 6}


def test_a_warehouse_tiktok_fulfils_itself_is_never_written(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 4, LOCATION_IDS[1]: 5})
    fbt = sandbox.add_platform_warehouse(world.sandbox_shop_id, {world.sku_ids[0]: 12})
    from shopsync.models import TikTokSku
    sku = db.session.get(TikTokSku, world.sku_rows[0])
    sku.inventory = dict(on_tiktok(sandbox, world))
    confirm_default_mapping(world)
    outcome = flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert outcome.failed == 0
    [body] = inventory_bodies(sandbox, world)
    sent = {i["warehouse_id"] for i in body["skus"][0]["inventory"]}
    assert sent == set(world.warehouse_ids) and fbt not in sent
    assert on_tiktok(sandbox, world) == {world.warehouse_ids[0]: 9, world.warehouse_ids[1]: 0, fbt: 12}
    assert link_of(world).state == "ok"
    db.session.expire_all()
    assert db.session.get(TikTokSku, world.sku_rows[0]).inventory[fbt] == 12  # our copy keeps TikTok's own stock


# ---- untracked and continue selling --------------------------------------------------------------------
def _sells_freely(world, **values) -> None:
    db.session.query(Variant).filter(Variant.id == world.variant_ids[0]).update(values)
    db.session.commit()


def test_an_untracked_variant_gets_the_fixed_quantity_not_zero(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 0, LOCATION_IDS[1]: 0})
    _sells_freely(world, inventory_tracked=False)
    confirm_default_mapping(world)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert on_tiktok(sandbox, world) == {world.warehouse_ids[0]: 100, world.warehouse_ids[1]: 0}


def test_continue_selling_uses_the_links_own_quantity(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 0, LOCATION_IDS[1]: 0}, untracked_quantity=25)
    _sells_freely(world, inventory_tracked=True, inventory_policy="continue")
    confirm_default_mapping(world)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sum(on_tiktok(sandbox, world).values()) == 25


def test_leave_alone_sends_no_stock_for_untracked_variants(sandbox):
    world = make_world(sandbox, skus=1, defaults={"untracked_stock": "leave"})
    _sells_freely(world, inventory_tracked=False)
    before = dict(on_tiktok(sandbox, world))
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert inventory_bodies(sandbox, world) == [] and on_tiktok(sandbox, world) == before
    assert link_of(world).state == "ok"


# ---- Sync now reads TikTok first -----------------------------------------------------------------------
def test_sync_now_corrects_a_stock_change_made_on_tiktok(sandbox):
    world = make_world(sandbox, skus=1, stock={LOCATION_IDS[0]: 36, LOCATION_IDS[1]: 0})
    confirm_default_mapping(world)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    default = world.warehouse_ids[0]
    assert on_tiktok(sandbox, world)[default] == 36
    sandbox.set_sku_inventory(world.sku_ids[0], {default: 1})  # changed on TikTok directly
    run_id = start_run(world.tenant_id, "push", "manual", integration_id=world.tiktok_id, total=1)
    flush.push_selected(run_id, world.tenant_id, world.tiktok_id, world.link_ids, no_lock)
    assert on_tiktok(sandbox, world)[default] == 36
    [log] = db.session.execute(select(SyncLog).where(SyncLog.run_id == run_id, SyncLog.field == "inventory")).scalars()
    assert (log.before, log.after) == ("1", "36")


# ---- price guard rails ---------------------------------------------------------------------------------
def test_an_offset_of_minus_100_on_14_is_held_not_pushed(sandbox):
    world = make_world(sandbox, skus=1, price="14.00")
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "14.00"
    actions.change_settings(world.tenant_id, world.link_ids, {"price_offset": "-100", "price_rounding": "99"})
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "14.00"  # not 0.99
    link = link_of(world)
    assert link.state == "needs_confirmation"
    assert (link.held_price_before, link.held_price) == (Decimal("14.00"), Decimal("0.99"))
    [alert] = db.session.execute(select(Alert).where(Alert.tenant_id == world.tenant_id)).scalars().all()
    assert alert.kind == "price_held" and "14.00 → 0.99" in alert.summary

    assert actions.confirm_price(world.tenant_id, link.id)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "0.99"
    link = link_of(world)
    assert link.state == "ok" and link.held_price is None and link.confirmed_price is None
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).state == "recovered"  # the merchant hears it is settled


def test_a_price_below_the_minimum_is_held_and_a_small_drop_is_not(sandbox):
    world = make_world(sandbox, skus=1, price="20.00", min_price=Decimal("15"))
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    actions.change_settings(world.tenant_id, world.link_ids, {"price_multiplier": "0.9"})  # 18.00: a 10 % drop
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "18.00" and link_of(world).state == "ok"
    actions.change_settings(world.tenant_id, world.link_ids, {"price_multiplier": "0.7"})  # 14.00 < 15 minimum
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "18.00" and link_of(world).state == "needs_confirmation"
    actions.change_settings(world.tenant_id, world.link_ids, {"price_multiplier": "0.8"})  # back within: 16.00
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "16.00" and link_of(world).state == "ok"
