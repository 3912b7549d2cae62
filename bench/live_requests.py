"""Requests per minute a browser tab makes to keep a links page live: today's per-row polling against the
one coalesced poll per page, in real Chromium against the embedded default of each version.

    python -m bench.live_requests                  # 60 s per phase
    python -m bench.live_requests --seconds 20

Each version (`--baseline` is the commit before the live mechanism; the other is this checkout) is run the way
`make run` runs it: SQLite, the sandbox mounted, jobs in the web process, a fresh instance folder. The demo
store is installed and a generated catalog imported on both sides, the TikTok US shop is linked from a CSV file
(250 links), then:

- settling minute: 50 of the links have a stock change that TikTok keeps refusing with server errors (a fault
  injected in the sandbox), so they stay "on their way" for the whole minute, as links do while a shop
  misbehaves; the tab shows those 50 among the links (today: the first page of 50, which is what it can
  show; ours: a page of 200);
- idle minute: the faults are cleared and every link settles; the tab stays open.

The figure is every request the tab sends to the server in that minute (page loads excluded), from
Playwright's request events, and the bytes of the answers.
"""
from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from tests.support.browser import chromium
from tests.support.embedded import serving, wait_for
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "9840610"  # main before the live mechanism (each row of a settling table polled itself)
DEMO = "demo-store.myshopify.com"
GENERATED = 250
CHANGING = 50


class Server:
    """One version's embedded default (tests/support/embedded.py runs it as `make run` does), and its data."""

    def __init__(self, base: str, instance: Path):
        self.base, self.instance = base, instance

    def sql(self, query: str, *args):
        with sqlite3.connect(self.instance / "shopsync.db") as db:
            return db.execute(query, args).fetchall()

    def control(self, method: str, path: str, **body):
        answer = requests.request(method, f"{self.base}/sandbox{path}", json=body or None, timeout=30)
        answer.raise_for_status()
        return answer.json()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _follow(browser: requests.Session, base: str, answer: requests.Response) -> requests.Response:
    """Follow redirects through the sandbox's grant pages, pressing Install and Approve where they ask."""
    for _ in range(20):
        if answer.status_code not in (301, 302, 303):
            return answer
        location = answer.headers["Location"]
        url = location if location.startswith("http") else base + location
        answer = browser.get(url, allow_redirects=False)
        if answer.status_code == 200 and "/admin/oauth/authorize" in url:
            form = parse_qsl(urlsplit(url).query) + [("decision", "install")]
            answer = browser.post(base + re.search(r"action='([^']+)'", answer.text).group(1), data=form,
                                  allow_redirects=False)
        elif answer.status_code == 200 and "/open/authorize" in url:
            answer = browser.post(url.split("?")[0], data=dict(parse_qsl(urlsplit(url).query), decision="approve"),
                                  allow_redirects=False)
    raise SystemExit("too many redirects")


def set_up(server: Server, user_agent: str) -> requests.Session:
    """Install the demo store, import a generated catalog on both sides, link the US shop by SKU."""
    base = server.base
    browser = requests.Session()
    browser.headers["User-Agent"] = user_agent  # the tab reuses this session: same browser as far as login goes
    login = browser.post(base + "/login", data={"shop": DEMO, "csrf_token": _csrf(browser.get(base + "/login").text)},
                         allow_redirects=False)
    _follow(browser, base, login)
    wait_for(lambda: server.sql("SELECT last_import_at FROM integrations WHERE platform = 'shopify'")[0][0],
          "the demo catalog to import")
    server.control("POST", f"/shopify/_control/shops/{DEMO}/generate", variants=GENERATED, replace=True)
    us_shop = next(shop for shop in server.control("GET", "/tiktok/_control/shops")["shops"] if shop["region"] == "US")
    server.control("POST", "/tiktok/_control/catalog/generate", shop_id=us_shop["id"], sku_count=GENERATED)
    imported = server.sql("SELECT count(*) FROM sync_runs WHERE kind = 'import'")[0][0]
    token = _csrf(browser.get(base + "/products").text)
    browser.post(base + "/products/import", headers={"X-CSRFToken": token, "HX-Request": "true"})
    wait_for(lambda: server.sql("SELECT count(*) FROM sync_runs WHERE kind = 'import' AND finished_at IS NOT NULL")[0][0]
          > imported, "the generated catalog to import")
    _follow(browser, base, browser.get(base + "/integrations/tiktok/connect", allow_redirects=False))
    wait_for(lambda: not server.sql("SELECT id FROM integrations WHERE platform = 'tiktok' AND last_import_at IS NULL")
          and server.sql("SELECT id FROM integrations WHERE platform = 'tiktok'"), "the TikTok catalogs to import")
    # Generated catalogs repeat their SKUs, so the links come from a CSV file pairing them in order.
    variants = [row[0] for row in server.sql("SELECT shopify_id FROM variants ORDER BY shopify_id")]
    skus = [row[0] for row in server.sql(
        "SELECT s.tiktok_id FROM tiktok_skus s JOIN integrations i ON i.id = s.integration_id "
        "WHERE i.external_id = ? AND s.seller_sku >= 'SS-1000' ORDER BY s.tiktok_id", us_shop["id"])]
    rows = "".join(f"{variant},{sku}\n" for variant, sku in zip(variants, skus))
    preview = _follow(browser, base, browser.post(
        base + "/product-links/import", allow_redirects=False, data={"csrf_token": token},
        files={"file": ("links.csv", "shopify_variant_id,tiktok_sku_id\n" + rows, "text/csv")}))
    stash = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    browser.post(base + "/product-links/import/confirm", data={"csrf_token": token, "token": stash})
    wait_for(lambda: server.sql("SELECT count(*) FROM product_links WHERE state = 'pending' OR dirty")[0][0] == 0
          and server.sql("SELECT count(*) FROM product_links")[0][0] >= 200, "the links' first pushes", 300)
    return browser


def make_fifty_stay_on_their_way(server: Server) -> list[int]:
    """The 50 newest links (the top of the list) get a stock change that TikTok keeps refusing."""
    rows = server.sql("SELECT l.id, v.shopify_id FROM product_links l JOIN variants v ON v.id = l.variant_id "
                      "ORDER BY l.id DESC LIMIT ?", CHANGING)
    server.control("POST", "/tiktok/_control/faults", kind="server_error", probability=1.0)
    location = _first_location(server)
    for number, (_, variant_id) in enumerate(rows):
        server.control("POST", f"/shopify/_control/shops/{DEMO}/inventory", variant_id=variant_id,
                       location_id=location, available=900 + number)
    ids = [link_id for link_id, _ in rows]
    marks = ",".join("?" * len(ids))
    wait_for(lambda: server.sql(f"SELECT count(*) FROM product_links WHERE dirty AND last_error_class = 'transient' "
                             f"AND id IN ({marks})", *ids)[0][0] == len(ids), "the 50 links to be retrying", 120)
    return ids


def _first_location(server: Server) -> int:
    return min(int(shopify_id) for (shopify_id,) in server.sql("SELECT shopify_id FROM locations WHERE is_active"))


def count_requests(page, base: str, seconds: float) -> tuple[int, int]:
    """Requests the open tab sends to the server in `seconds`, and the bytes of their answers."""
    seen: list = []
    listener = lambda request: request.url.startswith(base) and seen.append(request)  # noqa: E731
    page.on("request", listener)
    page.wait_for_timeout(seconds * 1000)  # not time.sleep: Playwright delivers events while it waits
    page.remove_listener("request", listener)
    sizes = 0
    for request in seen:
        response = request.response()
        if response is not None:
            try:
                sizes += len(response.body())
            except Exception:  # noqa: BLE001 - a 204 or an aborted poll has no body
                pass
    return len(seen), sizes


def measure(code: Path, label: str, path: str, seconds: float, browser) -> dict:
    instance = Path(tempfile.mkdtemp(prefix=f"bench-live-{label}-"))
    # The faults make the flush fail on purpose: its retried TransientError is expected in the server's log.
    with serving(instance, free_port(), expected_errors=("TransientError",), code=code) as base:
        server = Server(base, instance)
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        user_agent = context.new_page().evaluate("navigator.userAgent")
        session = set_up(server, user_agent)
        shown = server.sql("SELECT count(*) FROM product_links")[0][0]
        context.add_cookies([{"name": c.name, "value": c.value, "url": server.base} for c in session.cookies])
        make_fifty_stay_on_their_way(server)
        page = context.new_page()
        page.goto(server.base + path)
        page.wait_for_load_state("networkidle")
        rows = page.locator("table.links-table tbody tr").count()
        settling = count_requests(page, server.base, seconds)
        server.control("DELETE", "/tiktok/_control/faults")
        wait_for(lambda: server.sql("SELECT count(*) FROM product_links WHERE dirty")[0][0] == 0, "the links to settle",
              180)
        page.wait_for_timeout(12_000)  # the tab's next polls see the settled state
        idle = count_requests(page, server.base, seconds)
        context.close()
        per_minute = 60 / seconds
        return {"label": label, "links": shown, "rows": rows, "settling": round(settling[0] * per_minute),
                "settling_kb": round(settling[1] * per_minute / 1024), "idle": round(idle[0] * per_minute),
                "idle_kb": round(idle[1] * per_minute / 1024)}


def baseline_checkout(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="bench-live-baseline-"))
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each measured phase")
    parser.add_argument("--baseline", default=BASELINE, help="git ref of today's per-row polling")
    args = parser.parse_args()
    with chromium() as browser:
        today = measure(baseline_checkout(args.baseline), "today", "/product-links", args.seconds, browser)
        ours = measure(ROOT, "ours", "/product-links?size=200", args.seconds, browser)
    for result in (today, ours):
        print(f"{result['label']:<6} tab of {result['rows']} rows ({result['links']} links, {CHANGING} retrying): "
              f"settling {result['settling']} requests/min ({result['settling_kb']} KiB/min), "
              f"idle {result['idle']} requests/min ({result['idle_kb']} KiB/min)")
    ratio = ours["settling"] / today["settling"] if today["settling"] else float("nan")
    print(f"ratio settling requests ours/today: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
