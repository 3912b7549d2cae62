"""The embedded default as a new user runs it: SQLite, no Redis, the sandbox mounted, jobs in-process."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.support.embedded import FLASK, ROOT, environment as _environment, serving as _serving, wait_for
from tests.support.redis_server import free_port


@pytest.fixture
def embedded(tmp_path):
    with _serving(tmp_path, free_port()) as base:
        yield base, tmp_path


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def install_demo_store(base: str) -> tuple[requests.Session, str]:
    """Log in as demo-store through the sandbox's Shopify grant pages; returns the browser and /products."""
    browser = requests.Session()
    login = browser.post(base + "/login", data={"shop": "demo-store", "csrf_token": _csrf(
        browser.get(base + "/login").text)}, allow_redirects=False)
    location = browser.get(base + login.headers["Location"], allow_redirects=False).headers["Location"]
    while "/admin/oauth/authorize" in location:  # the sandbox's Shopify grant pages, pressing Install
        page = browser.get(location, allow_redirects=False)
        if page.status_code == 302:  # installed already: Shopify asks nothing for the login
            granted = page
        else:
            action = re.search(r"action='([^']+)'", page.text).group(1)
            form = parse_qsl(urlsplit(location).query) + [("decision", "install")]
            granted = browser.post(base + action, data=form, allow_redirects=False)
        location = browser.get(granted.headers["Location"], allow_redirects=False).headers["Location"]
    assert location == "/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the install's import runs in the in-process worker
        page = browser.get(base + "/products").text
        if "SS-0001-S" in page:
            break
        time.sleep(1)
    return browser, page


def test_install_imports_the_demo_catalog_and_follows_its_changes_with_no_configuration(embedded):
    base, instance = embedded
    browser, page = install_demo_store(base)
    assert "SS-0001-S" in page and "Classic Tee" in page
    assert (instance / "shopsync.db").exists() and (instance / "token_key").exists()
    # A price change in the sandbox's Shopify reaches the app as a signed webhook, recorded in SQLite
    # and applied by the in-process worker.
    control = base + "/sandbox/shopify/_control/shops/demo-store.myshopify.com"
    [variant] = requests.get(control + "/variants", params={"sku": "SS-0001-S"}, timeout=10).json()
    requests.post(f"{control}/variants/{variant['id']}/price", json={"price": "987.65"}, timeout=10).raise_for_status()
    deadline = time.monotonic() + 30
    while "987.65" not in browser.get(base + "/products", params={"q": "SS-0001-S"}).text:
        assert time.monotonic() < deadline, "the price change never reached the catalog"
        time.sleep(0.5)
    # The database (and its WAL files) hold the merchant's catalog and encrypted tokens: owner-only, like the keys.
    files = sorted(instance.glob("shopsync.db*"))
    assert files and {path.name: oct(path.stat().st_mode & 0o777) for path in files} == {
        path.name: "0o600" for path in files}


def _try_the_demo(base: str) -> requests.Session:
    """The README's tour: Try the demo, Install (Shopify's grant page), Approve (TikTok's)."""
    browser = requests.Session()
    answer = browser.post(base + "/demo", data={"csrf_token": _csrf(browser.get(base + "/login").text)},
                          allow_redirects=False)
    pages = {"install": 0, "approve": 0}
    location = answer.headers["Location"]
    for _ in range(20):
        url = location if location.startswith("http") else base + location
        answer = browser.get(url, allow_redirects=False)
        if answer.status_code == 200 and "/admin/oauth/authorize" in url:
            pages["install"] += 1
            form = parse_qsl(urlsplit(url).query) + [("decision", "install")]
            answer = browser.post(base + re.search(r"action='([^']+)'", answer.text).group(1), data=form,
                                  allow_redirects=False)
        elif answer.status_code == 200 and "/open/authorize" in url:
            pages["approve"] += 1
            form = dict(parse_qsl(urlsplit(url).query), decision="approve")
            answer = browser.post(url.split("?")[0], data=form, allow_redirects=False)
        if answer.status_code == 200:
            break
        location = answer.headers["Location"]
    assert urlsplit(url).path == "/" and "Demo ready" in answer.text, answer.text[-2000:]
    assert pages == {"install": 1, "approve": 1}  # three clicks in all, with Try the demo
    return browser


def _links(instance: Path) -> list[tuple]:
    """(state, last pushed stock, TikTok SKU id, Shopify SKU, stock per warehouse as ShopSync believes TikTok has it)."""
    with sqlite3.connect(instance / "shopsync.db") as db:
        return [(*row[:4], json.loads(row[4] or "{}")) for row in db.execute(
            "SELECT l.state, l.last_pushed_quantity, s.tiktok_id, v.sku, s.inventory FROM product_links l "
            "JOIN tiktok_skus s ON s.id = l.tiktok_sku_id JOIN variants v ON v.id = l.variant_id "
            "WHERE l.paused = 0 ORDER BY l.id")]


def _tiktok_stock(base: str, sku_id: str) -> dict:
    """Stock per warehouse as the TikTok sandbox has it."""
    return requests.get(f"{base}/sandbox/tiktok/_control/skus/{sku_id}", timeout=10).json()["inventory"]


def _set_stock(base: str, instance: Path, sku: str, available: int) -> None:
    env = {**_environment(instance, int(urlsplit(base).port)), "SANDBOX_URL": base + "/sandbox"}
    done = subprocess.run([*FLASK, "shopsync", "sandbox", "set-stock", sku, str(available)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _pushed_stock(instance: Path, sku_id: str) -> int | None:
    return next(row[1] for row in _links(instance) if row[2] == sku_id)


def _agree(base: str, instance: Path) -> bool:
    """For every link, the stock per warehouse ShopSync believes TikTok has is what the TikTok sandbox has."""
    return all(_tiktok_stock(base, sku_id) == believed for *_, sku_id, _, believed in _links(instance))


def test_the_demo_survives_a_restart_with_the_sandbox_and_shopsync_agreeing(tmp_path):
    port = free_port()
    with _serving(tmp_path, port) as base:
        _try_the_demo(base)
        # Every link pushes its stock; the UK shop's prices wait for a currency rate (state error, "held").
        settled = wait_for(lambda: (links := _links(tmp_path)) and all(
            state != "pending" and quantity is not None for state, quantity, *_ in links) and links,
            "the demo catalog to link and push")
        _, before, sku_id, sku, _ = next(row for row in settled if row[0] == "ok")
        _set_stock(base, tmp_path, sku, 0)
        wait_for(lambda: _pushed_stock(tmp_path, sku_id) != before and _agree(base, tmp_path),
                  "the stock change to reach TikTok")
        pushed = _pushed_stock(tmp_path, sku_id)
        wait_for(lambda: (tmp_path / "sandbox-state.pickle").exists(), "the sandbox snapshot")

    with _serving(tmp_path, port) as base:
        # Both sides remember the same world, and the sandbox still knows the store.
        assert _agree(base, tmp_path) and pushed in _tiktok_stock(base, sku_id).values()
        # ShopSync's tokens still work: a change after the restart travels.
        _set_stock(base, tmp_path, sku, 50)
        wait_for(lambda: _pushed_stock(tmp_path, sku_id) == pushed + 50 and _agree(base, tmp_path),
                  "a change after the restart to reach TikTok")
        with sqlite3.connect(tmp_path / "shopsync.db") as db:
            assert db.execute("SELECT count(*) FROM integrations WHERE status != 'active'").fetchone() == (0,)
