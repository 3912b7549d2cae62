"""Each API endpoint: happy paths, validation errors with field names, cursor pages, tenant scoping."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import ProductLink, SyncRun, utcnow
from tests.support.api import bearer, create_api_key, seed_catalog
from tests.support.journeys import install_shop


class Api:
    """A test client that sends one tenant's API key."""

    def __init__(self, client, key: str):
        self.client, self.headers = client, bearer(key)

    def __getattr__(self, method):
        return lambda path, **kwargs: getattr(self.client, method)(path, headers=self.headers, **kwargs)


@pytest.fixture
def seeded(app, client, shop_domain):
    tenant = install_shop(client, shop_domain)
    data = seed_catalog(app, tenant, products=5, variants=2)
    data["tenant"] = tenant
    return data


@pytest.fixture
def api(app, seeded):
    return Api(app.test_client(), create_api_key(app, seeded["tenant"]))


def _all_pages(api, path: str, limit: int) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = f"{path}{'&' if '?' in path else '?'}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(query)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert pages < 50


def _fields(answer, status=422) -> dict:
    assert answer.status_code == status, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["status"] == status and error["title"] and error["message"]
    return error.get("fields", {})


# ---- integrations ------------------------------------------------------------------------------------
def test_integrations_list_never_shows_tokens(api, seeded):
    answer = api.get("/api/integrations")
    items = answer.get_json()["items"]
    assert {item["id"] for item in items} == {seeded["shopify"], seeded["tiktok"]}
    assert not any("token" in name for item in items for name in item)


def test_connect_accepts_tiktok_only(api):
    assert api.post("/api/integrations", json={"platform": "tiktok"}).status_code == 200
    assert "Shopify" in _fields(api.post("/api/integrations", json={"platform": "shopify"}))["platform"]
    assert "platform" in _fields(api.post("/api/integrations", json={}))
    assert "extra" in _fields(api.post("/api/integrations", json={"platform": "tiktok", "extra": 1}))


def test_malformed_json_is_400(api):
    answer = api.post("/api/integrations", data="{nope", content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["status"] == 400


def test_import_returns_the_run_to_follow(app, api, seeded):
    answer = api.post("/api/integrations/shopify/products")
    assert answer.status_code == 202, answer.get_data(as_text=True)
    run = answer.get_json()
    assert run["kind"] == "import" and run["trigger"] == "manual" and run["integration_id"] == seeded["shopify"]
    again = api.post("/api/integrations/shopify/products").get_json()
    assert again["id"] == run["id"]  # the import under way, not a second one
    followed = api.get(f"/api/sync-runs/{run['id']}")
    assert followed.status_code == 200 and followed.get_json()["kind"] == "import"


def test_import_refused_while_shopify_is_disconnected(app, api, seeded):
    from shopsync.models import Integration

    with app.app_context():  # needs approving again (an uninstalled store's keys stop working altogether)
        db.session.get(Integration, seeded["shopify"]).status = "needs_reauth"
        db.session.commit()
    answer = api.post("/api/integrations/shopify/products")
    assert answer.status_code == 409
    assert "not connected" in answer.get_json()["error"]["message"]


# ---- products ----------------------------------------------------------------------------------------
def test_products_pages_walk_everything_once(api, seeded):
    items = _all_pages(api, "/api/products", limit=2)
    assert sorted(item["id"] for item in items) == sorted(seeded["products"])
    product = items[0]
    assert len(product["variants"]) == 2 and isinstance(product["variants"][0]["price"], str)


def test_products_search_and_status(api, seeded):
    marker = seeded["marker"]
    by_title = api.get(f"/api/products?search={marker} product 3").get_json()["items"]
    assert [p["id"] for p in by_title] == [seeded["products"][3]]
    by_sku = api.get(f"/api/products?search={marker}-SKU-4").get_json()["items"]
    assert [p["id"] for p in by_sku] == [seeded["products"][4]]
    drafts = api.get("/api/products?status=draft").get_json()["items"]
    assert {p["id"] for p in drafts} == {seeded["products"][1], seeded["products"][3]}


@pytest.mark.parametrize("query, field", [
    ("status=gone", "status"), ("limit=0", "limit"), ("limit=201", "limit"), ("cursor=%%%", "cursor"),
    ("cursor=abc", "cursor"),
])
def test_products_bad_arguments(api, query, field):
    assert field in _fields(api.get(f"/api/products?{query}"))


# ---- product links -----------------------------------------------------------------------------------
def test_links_pages_and_filters(api, seeded):
    items = _all_pages(api, "/api/product-links", limit=2)
    assert [item["id"] for item in items] == sorted(seeded["links"], reverse=True)
    one = api.get(f"/api/product-links?variant_id={seeded['variants'][0]}").get_json()["items"]
    assert [item["id"] for item in one] == [seeded["links"][0]]
    assert api.get("/api/product-links?state=error").get_json()["items"] == []
    assert "state" in _fields(api.get("/api/product-links?state=broken"))
    assert "cursor" in _fields(api.get("/api/product-links?cursor=MA"))  # base64 of "0"


def test_create_link_then_read_change_and_delete(api, seeded):
    variant_id, sku_id = seeded["unlinked"][0]
    answer = api.post("/api/product-links", json={"variant_id": variant_id, "tiktok_sku_id": sku_id,
                                                  "price_multiplier": "1.2", "price_rounding": "99"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    link = answer.get_json()
    assert link["state"] == "pending" and link["price_multiplier"] == "1.2000" and link["price_rounding"] == "99"
    assert api.get(f"/api/product-links/{link['id']}").get_json()["id"] == link["id"]

    changed = api.patch(f"/api/product-links/{link['id']}", json={"price_multiplier": None, "inventory_buffer": 3,
                                                                  "paused": True})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["price_multiplier"] is None and body["inventory_buffer"] == 3 and body["paused"] is True

    assert api.delete(f"/api/product-links/{link['id']}").status_code == 204
    assert api.get(f"/api/product-links/{link['id']}").status_code == 404
    assert api.delete(f"/api/product-links/{link['id']}").status_code == 404


def test_create_link_errors_name_the_field(api, seeded):
    variant_id, sku_id = seeded["unlinked"][0]
    assert set(_fields(api.post("/api/product-links", json={}))) == {"variant_id", "tiktok_sku_id"}
    assert "variant_id" in _fields(api.post("/api/product-links", json={"variant_id": "1", "tiktok_sku_id": sku_id}))
    assert "tiktok_sku_id" in _fields(api.post("/api/product-links",
                                               json={"variant_id": variant_id, "tiktok_sku_id": 2**62}))
    fields = _fields(api.post("/api/product-links", json={"variant_id": variant_id, "tiktok_sku_id": sku_id,
                                                          "price_multiplier": "0", "schedule": "weekly"}))
    assert set(fields) == {"price_multiplier", "schedule"}
    assert "more than 0" in fields["price_multiplier"]


def test_linking_a_linked_sku_is_409(api, app, seeded):
    with app.app_context():
        taken_sku = db.session.get(ProductLink, seeded["links"][0]).tiktok_sku_id
    variant_id, _ = seeded["unlinked"][0]
    answer = api.post("/api/product-links", json={"variant_id": variant_id, "tiktok_sku_id": taken_sku})
    assert answer.status_code == 409
    assert "already linked" in answer.get_json()["error"]["message"]


def test_patch_validation(api, seeded):
    link_id = seeded["links"][0]
    assert "inventory_cap" in _fields(api.patch(f"/api/product-links/{link_id}", json={"inventory_cap": -1}))
    assert "location_ids.0" in _fields(api.patch(f"/api/product-links/{link_id}", json={"location_ids": ["x"]}))
    assert "sync_price" in _fields(api.patch(f"/api/product-links/{link_id}", json={"sync_price": "maybe"}))


def test_sync_one_and_batch_start_push_runs(app, api, seeded):
    one = api.post(f"/api/product-links/{seeded['links'][0]}/sync")
    assert one.status_code == 202, one.get_data(as_text=True)
    assert one.get_json()["kind"] == "push" and one.get_json()["total"] == 1

    batch = api.post("/api/product-links/sync", json={"ids": seeded["links"][:2] + [2**40]})
    assert batch.status_code == 202
    assert batch.get_json()["trigger"] == "batch" and batch.get_json()["total"] == 2  # unknown ids are ignored

    everything = api.post("/api/product-links/sync", json={"all": True})
    assert everything.get_json()["total"] == len(seeded["links"])
    with app.app_context():
        runs = db.session.execute(select(SyncRun).where(SyncRun.tenant_id == seeded["tenant"],
                                                        SyncRun.kind == "push", SyncRun.trigger == "batch")).all()
        assert len(runs) == 2


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": [1], "all": True}, {"ids": ["a"]}, {"all": False}])
def test_batch_sync_needs_ids_or_all(api, body):
    assert _fields(api.post("/api/product-links/sync", json=body))


def test_batch_sync_of_no_known_link_is_404(api):
    assert api.post("/api/product-links/sync", json={"ids": [2**40]}).status_code == 404


# ---- sync runs and logs ------------------------------------------------------------------------------
def test_sync_run(api, seeded):
    run = api.get(f"/api/sync-runs/{seeded['run']}").get_json()
    assert run["status"] == "partial" and run["failed"] == 1 and run["is_finished"] is True
    assert api.get("/api/sync-runs/0").status_code == 404
    assert api.get(f"/api/sync-runs/{2**63}").status_code == 404


def test_sync_logs_filters_and_pages(api, seeded):
    logs = _all_pages(api, "/api/sync-logs", limit=1)
    assert [log["id"] for log in logs] == sorted(seeded["logs"], reverse=True)
    failed = api.get("/api/sync-logs?result=error").get_json()["items"]
    assert [log["id"] for log in failed] == [seeded["logs"][0]]
    assert failed[0]["error_message"].endswith("refused")
    by_link = api.get(f"/api/sync-logs?link_id={seeded['links'][1]}").get_json()["items"]
    assert [log["link_id"] for log in by_link] == [seeded["links"][1]]
    by_product = api.get(f"/api/sync-logs?product_id={seeded['products'][0]}&trigger=schedule").get_json()["items"]
    assert [log["id"] for log in by_product] == [seeded["logs"][0]]


def test_sync_logs_time_window(api, seeded):
    now = utcnow()
    since = (now - timedelta(seconds=90)).isoformat()
    recent = api.get("/api/sync-logs", query_string={"since": since}).get_json()["items"]
    assert [log["id"] for log in recent] == [seeded["logs"][-1]]
    older = api.get("/api/sync-logs", query_string={"until": since}).get_json()["items"]
    assert {log["id"] for log in older} == set(seeded["logs"][:-1])
    naive = (now + timedelta(hours=1)).replace(tzinfo=None).isoformat()  # no offset: UTC
    assert len(api.get("/api/sync-logs", query_string={"until": naive}).get_json()["items"]) == len(seeded["logs"])
    fields = _fields(api.get("/api/sync-logs", query_string={"since": now.isoformat(), "until": since}))
    assert "since" in fields
    assert "until" in _fields(api.get("/api/sync-logs?until=yesterday"))
    assert "result" in _fields(api.get("/api/sync-logs?result=fine"))
    assert "link_id" in _fields(api.get(f"/api/sync-logs?link_id={2**63}"))


def test_openapi_document_is_public(app):
    answer = app.test_client().get("/api/openapi.json")
    assert answer.status_code == 200 and answer.get_json()["openapi"].startswith("3.")


@pytest.mark.parametrize("body", [{"currency_rate": "1e20"}, {"price_multiplier": "1e-30"},
                                  {"price_offset": "999999.99999"}, {"inventory_cap": 10**30}])
def test_settings_out_of_range_are_refused_not_crashing(api, seeded, body):
    answer = api.patch(f"/api/product-links/{seeded['links'][0]}", json=body)
    assert answer.status_code in (200, 422), answer.get_data(as_text=True)
