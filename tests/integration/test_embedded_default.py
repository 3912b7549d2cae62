"""The embedded default as a new user runs it: SQLite, no Redis, the sandbox mounted, jobs in-process."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# What the test run exports for its own app; a new user's shell has none of it.
TEST_SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "PUBLIC_URL", "SANDBOX_URL",
                 "SHOPSYNC_SANDBOX", "SHOPSYNC_SANDBOX_MOUNT", "RATELIMIT_AUTH", "FLUSH_DEBOUNCE_SECONDS",
                 "MAIL_ENABLED", "SHOPSYNC_INSTANCE_PATH")


@pytest.fixture
def embedded(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in TEST_SETTINGS}
    env.update(SHOPSYNC_INSTANCE_PATH=str(tmp_path), PUBLIC_URL=f"http://127.0.0.1:{port}")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([*flask, "shopsync", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    yield base, tmp_path
    os.killpg(server.pid, signal.SIGTERM)
    _, errors = server.communicate(timeout=20)
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-3000:]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def install_demo_store(base: str) -> tuple[requests.Session, str]:
    """Log in as demo-store through the sandbox's Shopify grant pages; returns the browser and /products."""
    browser = requests.Session()
    login = browser.post(base + "/login", data={"shop": "demo-store", "csrf_token": _csrf(
        browser.get(base + "/login").text)}, allow_redirects=False)
    location = browser.get(base + login.headers["Location"], allow_redirects=False).headers["Location"]
    while "/admin/oauth/authorize" in location:  # the sandbox's Shopify grant pages, pressing Install
        page = browser.get(location).text
        action = re.search(r"action='([^']+)'", page).group(1)
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
