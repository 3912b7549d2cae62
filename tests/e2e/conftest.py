"""What every browser journey shares: Debian's Chromium driven by Playwright, and how long to wait for a page."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run scripts/browser.sh (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        yield page
        browser.close()
        assert not [e for e in errors if "Content Security Policy" in e], errors
