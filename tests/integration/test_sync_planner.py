"""The planner on real PostgreSQL: what differs, per TikTok product, with before and after; set-based loading."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event

from shopsync.extensions import db
from shopsync.models import Integration, ProductLink, TikTokSku
from shopsync.sync.pushes.planner import build_plan, plan_dirty, plan_links, pushable
from tests.support.factories import LOCATION_IDS, add_listing, make_world, set_price, set_stock


@pytest.fixture
def sandbox(app_context, tiktok_sandbox):
    return tiktok_sandbox


def test_new_links_plan_price_and_stock_per_product(sandbox):
    world = make_world(sandbox, skus=3, price="20.00")
    plan = plan_dirty(world.tiktok_id)
    assert len(plan.products) == 1
    product = plan.products[0]
    assert product.tiktok_product_id == world.tiktok_product_id
    assert [c.sku_id for c in product.changes] == sorted(world.sku_ids)
    change = product.changes[0]
    assert change.price_after == Decimal("20.00")
    assert change.quantity_after == 7
    default_warehouse = world.warehouse_ids[0]
    assert change.warehouse_id == default_warehouse
    # every warehouse of the SKU is sent; the others keep TikTok's last known quantity
    sku = db.session.get(TikTokSku, world.sku_rows[world.sku_ids.index(change.sku_id)])
    assert change.inventory == {**sku.inventory, default_warehouse: 7}
    assert set(change.inventory) == set(world.warehouse_ids)


def test_nothing_planned_when_values_equal_last_pushed(sandbox):
    world = make_world(sandbox, skus=2, price="15.00")
    db.session.query(ProductLink).filter(ProductLink.id.in_(world.link_ids)).update(
        {"last_pushed_price": Decimal("15.00"), "last_pushed_quantity": 7}, synchronize_session=False)
    db.session.commit()
    plan = plan_dirty(world.tiktok_id)
    assert plan.products == []
    assert set(plan.unchanged) == set(world.link_ids)
    set_stock(world, 1, LOCATION_IDS[0], 10)
    db.session.commit()
    plan = plan_dirty(world.tiktok_id)
    [change] = plan.changes
    assert change.link_id == world.link_ids[1]
    assert (change.quantity_before, change.quantity_after) == (7, 14)
    assert not change.changes_price
    sent = plan.as_dict()["products"][0]["skus"][0]["inventory"]
    assert {k: sent[k] for k in ("before", "after", "warehouse_id")} == {
        "before": 7, "after": 14, "warehouse_id": world.warehouse_ids[0]}
    assert sent["warehouses"][world.warehouse_ids[0]] == 14


def test_rules_and_integration_defaults_apply(sandbox):
    world = make_world(sandbox, skus=1, price="10.00", defaults={"price_multiplier": "2", "price_rounding": "99"},
                       inventory_buffer=2, location_ids=[LOCATION_IDS[1]])
    [change] = plan_dirty(world.tiktok_id).changes
    assert change.price_after == Decimal("20.99")
    assert change.quantity_after == 2  # 4 at the chosen location, less the buffer


def test_sync_flags_off_plan_nothing_for_that_field(sandbox):
    world = make_world(sandbox, skus=1, sync_price=False)
    [change] = plan_dirty(world.tiktok_id).changes
    assert change.fields == ("inventory",)


def test_reconcile_mode_compares_with_tiktok_values(sandbox):
    world = make_world(sandbox, skus=1, price="10.00")
    sku = db.session.get(TikTokSku, world.sku_rows[0])
    db.session.query(ProductLink).filter_by(id=world.link_ids[0]).update(
        {"last_pushed_price": Decimal("10.00"), "last_pushed_quantity": 7})
    sku.price = Decimal("10.00")
    sku.inventory = {**sku.inventory, world.warehouse_ids[0]: 5}
    db.session.commit()
    conditions = pushable(ProductLink.tiktok_integration_id == world.tiktok_id)
    assert build_plan(conditions, reference="pushed").changes == []
    [drift] = build_plan(conditions, reference="tiktok").changes
    assert (drift.quantity_before, drift.quantity_after, drift.changes_price) == (5, 7, False)


def test_paused_links_and_inactive_integrations_are_not_planned(sandbox):
    world = make_world(sandbox, skus=2)
    db.session.query(ProductLink).filter_by(id=world.link_ids[0]).update({"paused": True})
    db.session.commit()
    assert [c.link_id for c in plan_dirty(world.tiktok_id).changes] == [world.link_ids[1]]
    db.session.get(Integration, world.tiktok_id).status = "needs_reauth"
    db.session.commit()
    assert plan_dirty(world.tiktok_id).link_ids == []


def test_selection_is_tenant_scoped(sandbox):
    mine = make_world(sandbox, skus=1)
    theirs = make_world(sandbox, skus=1)
    assert plan_links(mine.tenant_id, theirs.link_ids).link_ids == []
    assert plan_links(mine.tenant_id, mine.link_ids).link_ids == mine.link_ids


def test_price_change_planned_alone(sandbox):
    world = make_world(sandbox, skus=1, price="10.00")
    db.session.query(ProductLink).filter_by(id=world.link_ids[0]).update(
        {"last_pushed_price": Decimal("10.00"), "last_pushed_quantity": 7})
    set_price(world, 0, "12.50")
    db.session.commit()
    [change] = plan_dirty(world.tiktok_id).changes
    assert (change.price_before, change.price_after, change.changes_quantity) == (
        Decimal("10.00"), Decimal("12.50"), False)


def test_query_count_does_not_grow_with_links(sandbox):
    world = make_world(sandbox, skus=5)
    for _ in range(9):
        add_listing(world, sandbox, skus=5, price="9.00", stock={LOCATION_IDS[0]: 2})
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        plan = plan_dirty(world.tiktok_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(plan.changes) == 50 and len(plan.products) == 10
    assert len(statements) <= 5  # links, levels, integrations, warehouses, held units


def _sells_in(world, currency: str) -> None:
    db.session.get(Integration, world.shopify_id).currency = currency
    db.session.commit()


def test_price_in_another_currency_without_a_rate_is_a_problem_and_stock_still_syncs(sandbox):
    world = make_world(sandbox, skus=1, price="49.00", shop_index=1)  # the GBP shop
    _sells_in(world, "USD")
    plan = plan_dirty(world.tiktok_id)
    [change] = plan.changes
    assert change.fields == ("inventory",) and change.quantity_after == 7
    [problem] = plan.problems
    assert (problem.link_id, problem.field) == (world.link_ids[0], "price")
    assert problem.message == ("Shopify sells in USD and this TikTok shop in GBP: set a currency rate for this "
                               "link or for the shop before prices sync")


@pytest.mark.parametrize("where", ["link", "shop"])
def test_an_explicit_rate_lets_the_price_sync(sandbox, where):
    settings = {"currency_rate": Decimal("0.8")} if where == "link" else {"defaults": {"currency_rate": "0.8"}}
    world = make_world(sandbox, skus=1, price="49.00", shop_index=1, **settings)
    _sells_in(world, "USD")
    plan = plan_dirty(world.tiktok_id)
    assert plan.problems == []
    [change] = plan.changes
    assert (change.price_after, change.currency) == (Decimal("39.20"), "GBP")


@pytest.mark.parametrize("shopify_currency", [None, "GBP", "gbp"])
def test_same_or_unknown_shopify_currency_needs_no_rate(sandbox, shopify_currency):
    world = make_world(sandbox, skus=1, price="49.00", shop_index=1)
    _sells_in(world, shopify_currency)
    plan = plan_dirty(world.tiktok_id)
    assert plan.problems == [] and plan.changes[0].price_after == Decimal("49.00")
