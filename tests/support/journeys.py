"""Merchant journeys driven through the real flows: the app's test client plus the sandbox over HTTP."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests


def approve_shopify_grant(authorize_url: str, decision: str = "install") -> str:
    """Press a button on the sandbox's Shopify grant page; returns where Shopify redirects the browser."""
    page = requests.get(authorize_url, timeout=10)
    page.raise_for_status()
    parts = urlsplit(authorize_url)
    form = parse_qsl(parts.query, keep_blank_values=True) + [("decision", decision)]
    answer = requests.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=form, allow_redirects=False,
                           timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def app_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def install_shop(client, shop: str) -> int:
    """Install ShopSync on `shop` from the Shopify sandbox and log in; returns the tenant id."""
    from shopsync.models import Integration

    start = client.get(f"/auth/shopify?shop={shop}")
    assert start.status_code == 302, start.get_data(as_text=True)
    location = start.headers["Location"]
    for _ in range(2):  # install (offline token), then who is logging in (online token)
        if "/admin/oauth/authorize" not in location:
            break
        callback = client.get(app_path(approve_shopify_grant(location)))
        assert callback.status_code == 302, callback.get_data(as_text=True)
        location = callback.headers["Location"]
    assert "/admin/oauth/" not in location, "the OAuth round trips did not finish"
    with client.application.app_context():
        from shopsync.extensions import db
        integration = db.session.query(Integration).filter_by(platform="shopify", external_id=shop).one()
        return integration.tenant_id
