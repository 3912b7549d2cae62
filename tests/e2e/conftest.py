"""What the browser journeys share: a page of Debian's Chromium, and how long to wait for one."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import chromium

WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def page():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        yield page
    assert not [e for e in errors if "Content Security Policy" in e], errors
