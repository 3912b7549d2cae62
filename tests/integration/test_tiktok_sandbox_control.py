import requests

from shopsync.platforms.tiktok import products
from tests.support.tiktok import access_token_for, client_for, running_sandbox


def test_control_api_drives_the_sandbox_from_outside():
    with running_sandbox() as running:
        control = running.base_url + "/_control"
        shops = requests.get(f"{control}/shops", timeout=5).json()["shops"]
        us = shops[0]
        assert (us["name"], us["currency"], us["skus"]) == ("ShopSync Demo US", "USD", 55)
        added = requests.post(f"{control}/catalog/generate", json={"shop_id": us["id"], "sku_count": 50}, timeout=5)
        assert added.json() == {"products_added": 10}

        token = access_token_for(running)
        client = client_for(running, token)
        assert requests.post(f"{control}/faults", json={"kind": "server_error", "count": 1}, timeout=5).ok
        assert requests.post(f"{control}/faults", json={"kind": "bogus"}, timeout=5).status_code == 400
        first = next(products.iter_products(client, page_size=1))
        calls = requests.get(f"{control}/calls", params={"path": "/product/202502/products/search"}, timeout=5).json()
        assert [c["code"] for c in calls["calls"]] == [36009003, 0] and calls["calls"][1]["shop_id"] == us["id"]

        sku = first.skus[0]
        state = requests.get(f"{control}/skus/{sku.id}", timeout=5).json()
        assert (state["seller_sku"], state["currency"], state["inventory"]) == (sku.seller_sku, "USD", sku.inventory)

        assert requests.post(f"{control}/products/{first.id}/review", json={}, timeout=5).ok
        assert products.get_product(client, first.id).status == "PENDING"
        assert requests.post(f"{control}/tokens/expire", json={}, timeout=5).json()["expired"] == 1

        assert requests.delete(f"{control}/calls", timeout=5).json()["count"] == 0
        assert requests.post(f"{control}/reset", timeout=5).ok
        assert requests.get(f"{control}/shops", timeout=5).json()["shops"][0]["skus"] == 55



def test_control_api_changes_stock_on_tiktok_and_adds_a_warehouse_tiktok_runs():
    with running_sandbox() as running:
        control = running.base_url + "/_control"
        us = requests.get(f"{control}/shops", timeout=5).json()["shops"][0]
        client = client_for(running, access_token_for(running))
        sku = next(products.iter_products(client, page_size=1)).skus[0]
        default = next(iter(sku.inventory))
        changed = requests.post(f"{control}/skus/{sku.id}", json={"inventory": {default: 1}}, timeout=5)
        assert changed.ok and changed.json()["inventory"][default] == 1
        assert requests.post(f"{control}/skus/{sku.id}", json={"inventory": {default: -1}}, timeout=5).status_code == 400
        assert requests.post(f"{control}/skus/{sku.id}", json={"inventory": {"nope": 1}}, timeout=5).status_code == 404
        fbt = requests.post(f"{control}/shops/{us['id']}/platform-warehouse", json={"stock": {sku.id: 8}},
                            timeout=5).json()["warehouse_id"]
        assert requests.get(f"{control}/skus/{sku.id}", timeout=5).json()["inventory"][fbt] == 8
        assert fbt not in {w.id for w in products.warehouses(client)}
