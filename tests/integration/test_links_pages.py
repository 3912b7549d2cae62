"""The merchant's link pages: list, filters, batch actions, the link page, auto-link, CSV, logs, dashboard."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import ProductLink, SyncRun
from tests.support.api import seed_catalog
from tests.support.journeys import install_shop

HX = {"HX-Request": "true"}


@pytest.fixture
def merchant(client, shop_domain, app):
    tenant_id = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant_id, products=3, variants=4)
    return client, tenant_id, seeded


def _csrf(client) -> str:
    page = client.get("/product-links").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _link(app, link_id: int) -> ProductLink:
    with app.app_context():
        link = db.session.get(ProductLink, link_id)
        db.session.expunge(link)
        return link


def test_list_filters_search_and_keyset_pages(app, merchant):
    client, _, seeded = merchant
    page = client.get("/product-links").get_data(as_text=True)
    assert all(f"/product-links/{link_id}" in page for link_id in seeded["links"])
    assert "Every link matching the filters (6)" in page

    only = client.get(f"/product-links?q={seeded['marker']}-SKU-1-").get_data(as_text=True)
    assert f"{seeded['marker']} product 1" in only and f"{seeded['marker']} product 0" not in only

    errors = client.get("/product-links?state=error").get_data(as_text=True)
    assert "No links match" in errors

    newest = max(seeded["links"])
    older = client.get(f"/product-links?before={newest}").get_data(as_text=True)
    assert f'href="/product-links/{newest}"' not in older and f"/product-links/{min(seeded['links'])}" in older


def test_batch_pause_resume_settings_and_unlink(app, merchant):
    client, _, seeded = merchant
    token = _csrf(client)
    first, second = seeded["links"][:2]
    answer = client.post("/product-links/batch", headers=HX, data={
        "csrf_token": token, "action": "pause", "link_ids": [first, second]})
    assert "Paused 2 links." in answer.get_data(as_text=True)
    assert answer.headers["HX-Trigger"] == "links-changed"
    assert _link(app, first).paused and _link(app, second).paused
    assert f"/product-links/{first}" in client.get("/product-links?state=paused").get_data(as_text=True)

    client.post("/product-links/batch", headers=HX, data={"csrf_token": token, "action": "resume", "link_ids": first})
    resumed = _link(app, first)
    assert not resumed.paused and resumed.dirty

    refused = client.post("/product-links/batch", headers=HX, data={
        "csrf_token": token, "action": "settings", "link_ids": [first], "price_multiplier": "zero"})
    assert "Nothing was changed" in refused.get_data(as_text=True) and "must be a number" in refused.get_data(as_text=True)
    client.post("/product-links/batch", headers=HX, data={
        "csrf_token": token, "action": "settings", "link_ids": [first, second], "price_multiplier": "1.5",
        "inventory_buffer": "2"})
    changed = _link(app, second)
    assert str(changed.price_multiplier) == "1.5000" and changed.inventory_buffer == 2

    everything = client.post("/product-links/batch", headers=HX, data={
        "csrf_token": token, "action": "unlink", "all_matching": "1", "filter_state": "paused"})
    assert "Unlinked 1 link." in everything.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ProductLink, second) is None
        assert db.session.get(ProductLink, first) is not None


def test_sync_now_starts_a_run_whose_progress_polls_until_finished(app, merchant):
    client, tenant_id, seeded = merchant
    answer = client.post("/product-links/batch", headers=HX, data={
        "csrf_token": _csrf(client), "action": "sync", "link_ids": seeded["links"]})
    body = answer.get_data(as_text=True)
    assert "Syncing 6 links." in body
    run_id = int(re.search(r'id="run-(\d+)-progress"', body).group(1))
    assert f'hx-get="/sync-runs/{run_id}/progress"' in body
    with app.app_context():
        run = db.session.get(SyncRun, run_id)
        run.status, run.done, run.total = "succeeded", 6, 6
        db.session.commit()
    finished = client.get(f"/sync-runs/{run_id}/progress").get_data(as_text=True)
    assert "hx-get" not in finished and "succeeded" in finished


def test_link_page_settings_are_validated_and_shown_next_to_the_field(app, merchant):
    client, _, seeded = merchant
    link_id = seeded["links"][0]
    page = client.get(f"/product-links/{link_id}").get_data(as_text=True)
    assert 'id="link-status"' in page and "Save settings" in page and "refused" in page  # its failed push
    token = _csrf(client)

    refused = client.post(f"/product-links/{link_id}/settings", data={
        "csrf_token": token, "price_multiplier": "-2", "inventory_buffer": "lots", "price_offset": "1.25"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'id="link-price_multiplier"[^>]*aria-invalid="true"', html, re.S)
    assert 'id="link-price_multiplier-error"' in html and "must be more than 0" in html
    assert "must be a whole number of units" in html
    assert 'value="1.25"' in html  # what the merchant typed comes back
    assert _link(app, link_id).price_offset is None

    saved = client.post(f"/product-links/{link_id}/settings", headers=HX, data={
        "csrf_token": token, "price_multiplier": "2", "price_rounding": "99", "sync_inventory": "no"})
    assert "Settings saved" in saved.get_data(as_text=True)
    link = _link(app, link_id)
    assert (str(link.price_multiplier), link.price_rounding, link.sync_inventory) == ("2.0000", "99", False)


def test_dry_run_and_state_partial(app, merchant):
    client, _, seeded = merchant
    link_id = seeded["links"][1]
    token = _csrf(client)
    dry = client.post(f"/product-links/{link_id}/dry-run", headers=HX, data={"csrf_token": token})
    assert dry.status_code == 200 and 'id="dry-run-result"' in dry.get_data(as_text=True)

    settled = client.get(f"/product-links/{link_id}/state").get_data(as_text=True)
    assert "In sync" in settled and "hx-get" not in settled
    with app.app_context():
        db.session.get(ProductLink, link_id).state = "pending"
        db.session.commit()
    pending = client.get(f"/product-links/{link_id}/state").get_data(as_text=True)
    assert "Pending" in pending and f'hx-get="/product-links/{link_id}/state"' in pending


def test_create_a_link_with_the_pickers(app, merchant):
    client, _, seeded = merchant
    variant_id, sku_id = seeded["unlinked"][0]
    variants = client.get(f"/product-links/pick/variants?q_variant={seeded['marker']}-SKU-1-2").get_data(as_text=True)
    assert f'value="{variant_id}"' in variants
    skus = client.get(f"/product-links/pick/skus?q_sku={seeded['marker']}").get_data(as_text=True)
    assert f'value="{sku_id}"' in skus
    linked_sku = seeded["skus"][0]
    assert f'value="{linked_sku}"' not in skus  # already linked SKUs are not offered

    token = _csrf(client)
    missing = client.post("/product-links/new", data={"csrf_token": token, "variant_id": str(variant_id)})
    assert missing.status_code == 422 and "Pick the TikTok SKU" in missing.get_data(as_text=True)
    taken = client.post("/product-links/new", data={"csrf_token": token, "variant_id": variant_id,
                                                    "tiktok_sku_id": linked_sku})
    assert "already linked" in taken.get_data(as_text=True)
    made = client.post("/product-links/new", data={"csrf_token": token, "variant_id": variant_id,
                                                   "tiktok_sku_id": sku_id})
    assert made.status_code == 302 and re.match(r"/product-links/\d+$", made.headers["Location"])


def test_auto_link_previews_then_saves_only_what_was_confirmed(app, merchant):
    client, tenant_id, seeded = merchant
    token = _csrf(client)
    preview = client.post("/product-links/auto/preview", data={
        "csrf_token": token, "integration": seeded["tiktok"], "by": "sku"}).get_data(as_text=True)
    assert "6 to link" in preview and "6 already linked" in preview
    with app.app_context():
        assert db.session.execute(select(ProductLink).where(ProductLink.tenant_id == tenant_id)).all().__len__() == 6
    stash = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    shown = re.findall(r'name="shown" value="([^"]+)"', preview)
    done = client.post("/product-links/auto/confirm", data={
        "csrf_token": token, "token": stash, "shown": shown, "pair": shown[1:]})
    assert done.status_code == 302
    with app.app_context():
        count = len(db.session.execute(select(ProductLink.id).where(ProductLink.tenant_id == tenant_id)).all())
    assert count == 11  # six before, five of the six matches (one unticked)
    again = client.post("/product-links/auto/confirm", data={"csrf_token": token, "token": stash})
    assert again.status_code == 302 and "/product-links/auto" in again.headers["Location"]


def test_csv_export_then_import_with_preview_and_row_errors(app, merchant):
    client, tenant_id, seeded = merchant
    exported = client.get("/product-links/export.csv")
    assert exported.mimetype == "text/csv"
    lines = exported.get_data(as_text=True).splitlines()
    assert lines[0].startswith("shopify_variant_id,shopify_sku") and len(lines) == 7

    marker = seeded["marker"]
    token = _csrf(client)
    bad_rows = (
        "shopify_sku,seller_sku,price_multiplier,paused\n"
        f"{marker}-SKU-0-0,{marker}-SKU-0-0,1.2,yes\n"
        f"nope,{marker}-SKU-2-2,abc,\n"
    )
    refused = client.post("/product-links/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(bad_rows.encode()), "links.csv")})
    html = refused.get_data(as_text=True)
    assert "1 rows with errors" in html and "nope" in html and "must be a number" in html
    assert 'name="token"' not in html  # nothing can be saved while a row is wrong

    good_rows = (
        "shopify_sku,seller_sku,price_multiplier,paused\n"
        f"{marker}-SKU-0-0,{marker}-SKU-0-0,1.2,yes\n"
        f"{marker}-SKU-2-0,{marker}-SKU-2-0,,\n"
    )
    preview = client.post("/product-links/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(good_rows.encode()), "links.csv")}).get_data(as_text=True)
    assert "1 new links" in preview and "1 changed" in preview and "0 rows with errors" in preview
    stash = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    done = client.post("/product-links/import/confirm", data={"csrf_token": token, "token": stash})
    assert done.status_code == 302
    link = _link(app, seeded["links"][0])
    assert link.paused and str(link.price_multiplier) == "1.2000"
    with app.app_context():
        assert len(db.session.execute(select(ProductLink.id).where(ProductLink.tenant_id == tenant_id)).all()) == 7

    unknown = client.post("/product-links/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(b"shopify_sku,seller_sku,colour\nred,1,x\n"), "x.csv")})
    assert unknown.status_code == 422 and "Unknown columns: colour" in unknown.get_data(as_text=True)


def test_sync_logs_filters_and_retry(app, merchant):
    client, _, seeded = merchant
    everything = client.get("/sync-logs").get_data(as_text=True)
    assert f"{seeded['marker']} refused" in everything and "12.00 → <strong>10.00</strong>" in everything
    failed = client.get("/sync-logs?result=error").get_data(as_text=True)
    assert failed.count('class="badge badge-error"') == 1
    by_link = client.get(f"/sync-logs?link={seeded['links'][1]}").get_data(as_text=True)
    assert "refused" not in by_link and "pushed" in by_link
    run_page = client.get(f"/sync-runs/{seeded['run']}", follow_redirects=True).get_data(as_text=True)
    assert f"run #{seeded['run']}" in run_page

    retry = client.post("/sync-logs/retry", headers=HX, data={"csrf_token": _csrf(client), "result": "error"})
    assert "Retrying 1 link." in retry.get_data(as_text=True)


def test_dashboard_shows_states_and_failures_with_a_fix_link(app, merchant):
    client, _, seeded = merchant
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"<strong>6</strong><span class=\"badge badge-ok\">", page)
    assert f"{seeded['marker']} refused" in page
    assert f'href="/product-links/{seeded["links"][0]}">Open the link' in page


def test_link_page_shows_a_price_that_cannot_sync_for_want_of_a_currency_rate(app, merchant):
    from shopsync.models import Integration
    from shopsync.sync.pushes.pusher import push_plan
    from shopsync.sync.pushes.planner import plan_links

    client, tenant_id, seeded = merchant
    link_id = seeded["links"][0]
    with app.app_context():
        for integration in db.session.execute(select(Integration).where(Integration.tenant_id == tenant_id)).scalars():
            integration.status = "active"
            if integration.platform == "shopify":
                integration.currency = "EUR"  # the TikTok shop sells in USD
        db.session.commit()
    token = _csrf(client)
    dry = client.post(f"/product-links/{link_id}/dry-run", headers=HX, data={"csrf_token": token})
    assert ("Price cannot be pushed: Shopify sells in EUR and this TikTok shop in USD: set a currency rate"
            in dry.get_data(as_text=True))
    with app.app_context():
        push_plan(plan_links(tenant_id, [link_id]), trigger="manual")
    page = client.get(f"/product-links/{link_id}").get_data(as_text=True)
    assert "Failing" in page and "Not fully syncing:" in page
    assert "Price not synced: Shopify sells in EUR and this TikTok shop in USD" in page
