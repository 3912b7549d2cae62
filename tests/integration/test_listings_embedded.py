"""Publishing in the embedded default (SQLite, no Redis, the sandbox mounted, jobs in-process): a product goes
from the picker to live on the sandbox's TikTok shop with no configuration beyond the shop's package size."""
from __future__ import annotations

import re
import time

from tests.integration.test_embedded_default import _csrf, embedded, install_demo_store  # noqa: F401 - fixture


def _wait_for(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
    return found


def test_publish_a_product_on_sqlite_until_it_is_live(embedded):  # noqa: F811
    base, _ = embedded
    browser, _ = install_demo_store(base)
    connect = browser.get(base + "/integrations/tiktok/connect", allow_redirects=False).headers["Location"]
    approve = browser.post(connect.split("?")[0], data=dict(
        re.findall(r'name="(service_id|state)" value="([^"]*)"', browser.get(connect).text), decision="approve"),
        allow_redirects=False).headers["Location"]
    assert browser.get(approve, allow_redirects=False).status_code == 302
    shop_page = browser.get(base + "/listings").text
    shop_id = re.search(r"/listings/shops/(\d+)\"[^>]*>Publishing setup: ShopSync Demo US", shop_page).group(1)
    settings = browser.post(f"{base}/listings/shops/{shop_id}/settings", data={
        "csrf_token": _csrf(shop_page), "daily_limit": "100", "length": "30", "width": "20", "height": "5",
        "dimension_unit": "CENTIMETER"}, allow_redirects=False)
    assert settings.status_code == 302
    picker = browser.get(f"{base}/listings/new", params={"shop": shop_id, "q": "Classic Tee"}).text
    product_id = re.search(r'name="product_ids" value="(\d+)" aria-label="Select Classic Tee"', picker).group(1)
    published = browser.post(base + "/listings/publish", data={
        "csrf_token": _csrf(picker), "tiktok_integration_id": shop_id, "product_ids": product_id,
        "action": "publish"}, allow_redirects=False)
    assert published.status_code == 302
    _wait_for(lambda: "data-state=\"pending\"" in browser.get(base + "/listings").text
              or "data-state=\"live\"" in browser.get(base + "/listings").text, "the listing to be submitted")
    _wait_for(lambda: 'data-state="live"' in browser.get(base + "/listings").text, "TikTok's review to pass",
              timeout=120)
