"""The merchant's link pages: list, filters, batch actions, the link page, auto-link, CSV, logs, dashboard."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import ProductLink, SyncLog, SyncRun
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

    unlink_paused = {"csrf_token": token, "action": "unlink", "all_matching": "1", "filter_state": "paused"}
    asked = client.post("/product-links/batch", headers=HX, data=unlink_paused).get_data(as_text=True)
    assert 'role="alertdialog"' in asked and "Unlink 1 link?" in asked and 'name="confirmed_count" value="1"' in asked
    assert _link(app, second) is not None  # nothing happens before the merchant confirms
    everything = client.post("/product-links/batch", headers=HX, data={**unlink_paused, "confirmed_count": "1"})
    body = everything.get_data(as_text=True)
    assert "Unlinked 1 link." in body and "Undo unlinking 1 link" in body
    with app.app_context():
        assert db.session.get(ProductLink, second) is None
        assert db.session.get(ProductLink, first) is not None

    undo_token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    undone = client.post("/product-links/undo", headers=HX, data={"csrf_token": token, "token": undo_token})
    assert "Linked 1 link again, with their settings." in undone.get_data(as_text=True)
    with app.app_context():
        restored = db.session.execute(select(ProductLink).where(ProductLink.variant_id == changed.variant_id)).scalar_one()
        assert restored.paused and str(restored.price_multiplier) == "1.5000" and restored.inventory_buffer == 2
    again = client.post("/product-links/undo", headers=HX, data={"csrf_token": token, "token": undo_token})
    assert "nothing to undo" in again.get_data(as_text=True)


def test_batches_above_a_hundred_links_need_the_count_typed(app, client, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant_id, products=52, variants=4)
    token = _csrf(client)
    pause_all = {"csrf_token": token, "action": "pause", "all_matching": "1"}
    asked = client.post("/product-links/batch", headers=HX, data=pause_all).get_data(as_text=True)
    assert "Pause 104 links?" in asked and 'name="typed_count"' in asked and "confirmed_count" not in asked
    mistyped = client.post("/product-links/batch", headers=HX, data={**pause_all, "typed_count": "100"})
    assert "That is not 104" in mistyped.get_data(as_text=True)
    assert not _link(app, seeded["links"][0]).paused
    done = client.post("/product-links/batch", headers=HX, data={**pause_all, "typed_count": "104"})
    assert "Paused 104 links." in done.get_data(as_text=True)
    assert _link(app, seeded["links"][0]).paused


def test_a_link_that_no_longer_exists_gets_a_friendly_page(app, merchant):
    client, _, seeded = merchant
    token = _csrf(client)
    link_id = seeded["links"][0]
    client.post("/product-links/batch", data={"csrf_token": token, "action": "unlink", "link_ids": link_id,
                                              "confirmed_count": "1"})
    gone = client.get(f"/product-links/{link_id}")
    assert gone.status_code == 404
    assert "This link no longer exists" in gone.get_data(as_text=True)
    assert "Back to your links" in gone.get_data(as_text=True)


def test_sync_now_starts_a_run_whose_progress_polls_until_finished(app, merchant):
    client, tenant_id, seeded = merchant
    answer = client.post("/product-links/batch", headers=HX, data={
        "csrf_token": _csrf(client), "action": "sync", "link_ids": seeded["links"]})
    body = answer.get_data(as_text=True)
    assert "Syncing 6 links." in body
    run_id = int(re.search(r'id="run-(\d+)-progress"', body).group(1))
    assert f'data-live="runs" data-live-id="{run_id}"' in body  # the page's live poll watches it
    with app.app_context():
        run = db.session.get(SyncRun, run_id)
        run.status, run.done, run.total = "succeeded", 6, 6
        db.session.commit()
    finished = client.get(f"/live?w=runs:{run_id}").get_data(as_text=True)
    assert f'id="run-{run_id}-progress"' in finished and "data-live=" not in finished.split('id="live"')[0]
    assert "Done" in finished


def test_link_page_settings_are_validated_and_shown_next_to_the_field(app, merchant):
    client, _, seeded = merchant
    link_id = seeded["links"][0]
    page = client.get(f"/product-links/{link_id}").get_data(as_text=True)
    assert 'id="link-status"' in page and "Save settings" in page and "refused" in page  # its failed push
    assert "Then add (USD)" in page and "Never below (minimum price, USD)" in page  # amounts in TikTok's currency
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


def test_dry_run_and_the_live_poll(app, merchant):
    client, tenant_id, seeded = merchant
    _set_tiktok_status(app, tenant_id, "active")
    link_id = seeded["links"][1]
    token = _csrf(client)
    dry = client.post(f"/product-links/{link_id}/dry-run", headers=HX, data={"csrf_token": token})
    assert dry.status_code == 200 and 'id="dry-run-result"' in dry.get_data(as_text=True)

    settled = client.get(f"/live?w=links:{link_id}")
    html = settled.get_data(as_text=True)
    assert f'id="link-state-{link_id}"' in html and "In sync" in html and 'hx-swap-oob="true"' in html
    assert 'hx-trigger="every 10s' in html  # nothing on its way: the page polls slowly
    again = re.search(r'hx-get="(/live\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(f"{again}&w=links:{link_id}").status_code == 204  # nothing changed, nothing sent
    with app.app_context():
        db.session.get(ProductLink, link_id).state = "pending"
        db.session.commit()
    pending = client.get(f"{again}&w=links:{link_id}").get_data(as_text=True)
    assert "Pending" in pending and 'hx-trigger="every 2s' in pending


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
        "csrf_token": token, "integration": seeded["tiktok"], "by": "sku"}, follow_redirects=True).get_data(as_text=True)
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
    assert refused.status_code == 303 and "/product-links/import/preview/" in refused.headers["Location"]
    html = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "1 row with errors" in html and "nope" in html and "must be a number" in html
    assert 'name="token"' not in html  # nothing can be saved while a row is wrong

    good_rows = (
        "shopify_sku,seller_sku,price_multiplier,paused\n"
        f"{marker}-SKU-0-0,{marker}-SKU-0-0,1.2,yes\n"
        f"{marker}-SKU-2-0,{marker}-SKU-2-0,,\n"
    )
    preview = client.post("/product-links/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(good_rows.encode()), "links.csv")},
        follow_redirects=True).get_data(as_text=True)
    assert "1 new link<" in preview and "1 changed" in preview and "0 rows with errors" in preview
    stash = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    assert "1 new link<" in client.get(f"/product-links/import/preview/{stash}").get_data(as_text=True)  # reload
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
    client, tenant_id, seeded = merchant
    everything = client.get("/sync-logs").get_data(as_text=True)
    assert f"{seeded['marker']} refused" in everything
    assert "12.00 USD → <strong>10.00 USD</strong>" in everything  # prices with the TikTok SKU's currency code
    history = client.get(f"/product-links/{seeded['links'][1]}").get_data(as_text=True)
    assert "12.00 USD → <strong>10.00 USD</strong>" in history  # the link page's history too
    failed = client.get("/sync-logs?result=error").get_data(as_text=True)
    assert failed.count('class="badge badge-error"') == 1
    by_link = client.get(f"/sync-logs?link={seeded['links'][1]}").get_data(as_text=True)
    assert "refused" not in by_link and "pushed" in by_link
    run_page = client.get(f"/sync-runs/{seeded['run']}", follow_redirects=True).get_data(as_text=True)
    assert f"run #{seeded['run']}" in run_page

    retry = client.post("/sync-logs/retry", headers=HX, data={"csrf_token": _csrf(client), "result": "error"})
    assert "Retrying 1 link." in retry.get_data(as_text=True)

    marker = seeded["marker"]
    one_sku = client.get(f"/sync-logs?sku={marker}-SKU-0-1").get_data(as_text=True)
    assert one_sku.count('data-field="log-sku"') == 1
    assert f"SKU {marker}-SKU-0-1" in one_sku and f"TikTok {marker}" in one_sku  # the variant's SKU and the shop
    assert 'data-field="log-sku"' not in client.get("/sync-logs?sku=no-such-sku").get_data(as_text=True)
    with app.app_context():
        db.session.add(SyncLog(tenant_id=tenant_id, link_id=seeded["links"][1], field="inventory", before="5",
                               after="3", result="ok", trigger="manual"))
        db.session.commit()
    assert "5 → <strong>3</strong>" in client.get("/sync-logs").get_data(as_text=True)  # stock has no code


def _set_tiktok_status(app, tenant_id: int, status: str) -> None:
    from shopsync.models import Integration

    with app.app_context():
        for integration in db.session.execute(select(Integration).where(
                Integration.tenant_id == tenant_id, Integration.platform == "tiktok")).scalars():
            integration.status = status
        db.session.commit()


def test_dashboard_counts_states_and_lists_each_failing_link_once_in_merchant_words(app, merchant):
    from shopsync.models import SyncLog

    client, tenant_id, seeded = merchant
    page = client.get("/").get_data(as_text=True)  # the seeded TikTok shop is disconnected
    assert re.search(r'<strong>6</strong><span class="badge badge-disconnected">Not syncing', page)
    assert re.search(r'<strong>0</strong><span class="badge badge-ok">', page)
    assert "Nothing is failing." in page  # an old failed operation is history, not a failure now

    _set_tiktok_status(app, tenant_id, "active")
    failing = seeded["links"][0]
    raw = "TikTok Shop error 12052901: Product status does not allow this operation"
    with app.app_context():
        link = db.session.get(ProductLink, failing)
        link.state, link.last_error, link.last_error_class = "error", raw, "permanent"
        for _ in range(3):
            db.session.add(SyncLog(tenant_id=tenant_id, link_id=failing, field="inventory", result="error",
                                   error_class="permanent", error_message=raw))
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<strong>5</strong><span class="badge badge-ok">In sync', page)
    failures = page.split('id="failures-heading"')[1]
    assert failures.count(f'href="/product-links/{failing}">Open the link') == 1  # one row for the link
    assert "TikTok doesn&#39;t allow changes to this product right now" in failures
    assert "12052901" not in failures.split("Details")[0]  # the raw code only on the link page's details line
    detail = client.get(f"/product-links/{failing}").get_data(as_text=True)
    assert "Details: code 12052901 · TikTok Shop error 12052901" in detail

    with app.app_context():
        link = db.session.get(ProductLink, failing)
        link.state, link.last_error, link.last_error_class = "ok", None, None
        db.session.commit()
    assert "Nothing is failing." in client.get("/").get_data(as_text=True)  # recovered: gone from the dashboard


def test_a_transient_failure_reads_as_retrying_with_the_count_and_the_next_try(app, merchant):
    from shopsync.models import SyncLog

    client, tenant_id, seeded = merchant
    _set_tiktok_status(app, tenant_id, "active")
    link_id = seeded["links"][2]
    with app.app_context():
        link = db.session.get(ProductLink, link_id)
        link.dirty, link.last_error_class = True, "transient"
        link.last_error = "TikTok Shop error 36009003: internal error"
        for _ in range(2):
            db.session.add(SyncLog(tenant_id=tenant_id, link_id=link_id, field="price", result="error",
                                   error_class="transient", error_message=link.last_error))
        db.session.commit()
    html = client.get(f"/live?w=links:{link_id}").get_data(as_text=True)
    assert re.search(r"Retrying \(2 failures, next try \d\d:\d\d\)", html)
    assert "TikTok had an internal error." in html and "ShopSync retries by itself" in html


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
    assert "Price held — set a currency rate" in page and "Failing" not in page.split('id="link-status"')[1][:2000]
    assert "Shopify sells in EUR and" in page and "Set the shop's rate" in page


def test_the_live_poll_sends_only_rows_that_changed_and_never_another_tenants(app, merchant, shop_domain):
    client, tenant_id, seeded = merchant
    _set_tiktok_status(app, tenant_id, "active")
    first, second = seeded["links"][:2]
    watch = f"w=links:{first},{second}&w=dashboard"
    html = client.get(f"/live?{watch}").get_data(as_text=True)
    assert f'id="link-state-{first}"' in html and f'id="link-state-{second}"' in html and 'id="dashboard-live"' in html
    again = re.search(r'hx-get="(/live\?[^"]+)"', html).group(1).replace("&amp;", "&")
    with app.app_context():
        db.session.get(ProductLink, second).paused = True
        db.session.commit()
    changed = client.get(f"{again}&{watch}").get_data(as_text=True)
    assert f'id="link-state-{second}"' in changed and "Paused" in changed
    assert f'id="link-state-{first}"' not in changed  # unchanged rows are not sent again

    page = client.get(f"/live?w=link:{first}").get_data(as_text=True)  # the link page: status, warehouses, history
    assert all(f'id="{part}" ' in page or f'id="{part}"' in page for part in ("link-status", "warehouse-stock",
                                                                               "link-history"))

    other = app.test_client()
    install_shop(other, "other-" + shop_domain)
    theirs = other.get(f"/live?w=links:{first},{second}&w=link:{first}").get_data(as_text=True)
    assert f"link-state-{first}" not in theirs and seeded["marker"] not in theirs
    assert "/live" in theirs  # only the poller: nothing of the first merchant's


def test_csv_import_takes_a_seller_sku_alone_as_the_key_to_a_links_settings(app, merchant):
    client, _, seeded = merchant
    marker = seeded["marker"]
    rows = f"seller_sku,inventory_buffer\n{marker}-SKU-0-1,3\n"
    preview = client.post("/product-links/import", content_type="multipart/form-data", data={
        "csrf_token": _csrf(client), "file": (io.BytesIO(rows.encode()), "links.csv")}, follow_redirects=True)
    html = preview.get_data(as_text=True)
    assert "0 new links" in html and "1 changed" in html and "0 rows with errors" in html
    stash = re.search(r'name="token" value="([^"]+)"', html).group(1)
    client.post("/product-links/import/confirm", data={"csrf_token": _csrf(client), "token": stash})
    assert _link(app, seeded["links"][1]).inventory_buffer == 3

    unknown = f"seller_sku,inventory_buffer\n{marker}-SKU-2-3,3\n"  # not linked, and no Shopify variant named
    refused = client.post("/product-links/import", content_type="multipart/form-data", data={
        "csrf_token": _csrf(client), "file": (io.BytesIO(unknown.encode()), "links.csv")}, follow_redirects=True)
    assert "no Shopify variant given" in refused.get_data(as_text=True)


def test_csv_export_carries_titles_and_ids_spreadsheets_keep_whole(app, merchant):
    client, _, seeded = merchant
    lines = client.get("/product-links/export.csv").get_data(as_text=True).splitlines()
    header = lines[0].split(",")
    first = dict(zip(header, lines[1].split(",")))
    assert first["shopify_variant_id"].startswith("#") and first["shopify_variant_id"][1:].isdigit()
    assert first["shopify_title"].startswith(f"{seeded['marker']} product") and first["tiktok_title"]
