"""Auto-link previews and CSV import/export of links, on real PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import ProductLink, TikTokSku, Variant
from shopsync.sync.links import csv_io as link_csv
from shopsync.sync.links import auto as linking
from shopsync.sync.links.actions import LinkError
from tests.support.factories import make_world, sandbox  # noqa: F401


def test_auto_link_preview_matches_conflicts_and_unmatched(sandbox):
    world = make_world(sandbox, skus=4, link=False)
    variants = [db.session.get(Variant, v) for v in world.variant_ids]
    skus = [db.session.get(TikTokSku, s) for s in world.sku_rows]
    for number, (variant, sku) in enumerate(zip(variants, skus)):
        variant.sku = sku.seller_sku = f"AL-{world.tenant_id}-{number}"
    variants[1].sku = " " + skus[1].seller_sku.lower() + " "   # matches ignoring case and spaces
    variants[2].sku = variants[3].sku = "DUP-1"                # two variants share a code
    skus[2].seller_sku = "DUP-1"
    skus[3].seller_sku = "TT-ONLY"
    db.session.commit()
    preview = linking.preview_auto_link(world.tenant_id, world.tiktok_id, "sku")
    assert preview.pairs == [(world.variant_ids[0], world.sku_rows[0]), (world.variant_ids[1], world.sku_rows[1])]
    [conflict] = preview.conflicts
    assert conflict.key == "dup-1" and set(conflict.variant_ids) == {world.variant_ids[2], world.variant_ids[3]}
    assert preview.unmatched_sku_row_ids == [world.sku_rows[3]]
    ids = linking.apply_auto_link(world.tenant_id, world.tiktok_id, "sku", preview.pairs)
    assert len(ids) == 2
    again = linking.preview_auto_link(world.tenant_id, world.tiktok_id, "sku")
    assert again.pairs == [] and len(again.already_linked) == 2
    with pytest.raises(LinkError):
        linking.apply_auto_link(world.tenant_id, world.tiktok_id, "sku", preview.pairs)


def test_auto_link_refuses_another_tenants_shop(sandbox):
    mine, theirs = make_world(sandbox, link=False), make_world(sandbox, link=False)
    with pytest.raises(LinkError):
        linking.preview_auto_link(mine.tenant_id, theirs.tiktok_id)


def test_csv_export_neutralises_formulas_and_round_trips(sandbox):
    world = make_world(sandbox, skus=2, price_offset=-2, price_rounding="99")
    db.session.get(Variant, world.variant_ids[0]).sku = "=HYPERLINK(\"x\")"
    db.session.commit()
    text = link_csv.export_csv(world.tenant_id)
    assert "'=HYPERLINK" in text and ",'-2.0000," in text
    preview = link_csv.preview(world.tenant_id, text)
    assert preview.ok and len(preview.updates) == 2 and not preview.creates
    assert preview.updates[0].settings["price_offset"] == -2


def test_csv_import_reports_row_errors_and_saves_nothing(sandbox):
    world = make_world(sandbox, skus=3, link=False)
    skus = db.session.execute(select(TikTokSku.tiktok_id).where(TikTokSku.id.in_(world.sku_rows))
                              .order_by(TikTokSku.id)).scalars().all()
    shopify_ids = [db.session.get(Variant, v).shopify_id for v in world.variant_ids]
    text = ("shopify_variant_id,tiktok_sku_id,price_multiplier,inventory_buffer\n"
            f"{shopify_ids[0]},{skus[0]},1.5,2\n"
            f"{shopify_ids[1]},{skus[0]},,\n"
            f"999,{skus[2]},abc,\n")
    preview = link_csv.preview(world.tenant_id, text)
    assert len(preview.creates) == 1
    messages = {row.line: row.errors for row in preview.errors}
    assert any("line 2" in m for m in messages[3])
    assert "unknown Shopify variant id 999" in messages[4]
    assert "price_multiplier: must be a number, not 'abc'" in messages[4]
    with pytest.raises(LinkError):
        link_csv.apply(world.tenant_id, preview)
    assert db.session.execute(select(ProductLink).where(ProductLink.tenant_id == world.tenant_id)).first() is None
    good = link_csv.preview(world.tenant_id, text.rsplit("\n", 3)[0] + "\n")
    assert link_csv.apply(world.tenant_id, good) == (1, 0)
    link = db.session.execute(select(ProductLink).where(ProductLink.tenant_id == world.tenant_id)).scalar_one()
    assert (str(link.price_multiplier), link.inventory_buffer, link.dirty) == ("1.5000", 2, True)


def test_csv_import_refuses_oversized_files(sandbox):
    world = make_world(sandbox, link=False)
    big = "shopify_sku,seller_sku\n" + "a,b\n" * (link_csv.MAX_BYTES // 4 + 1)
    assert "larger than" in link_csv.preview(world.tenant_id, big).problem
