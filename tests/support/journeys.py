"""Merchant journeys driven through the real flows: the app's test client plus the sandbox over HTTP."""
from __future__ import annotations

import secrets
import uuid
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


def give_seller_new_shops(tiktok_sandbox) -> None:
    """A clean demo seller whose shops have ids and ciphers never seen before.

    A TikTok shop belongs to one tenant, and the session's sandbox has one seller:
    each test that connects TikTok gets shops of its own this way.
    """
    with tiktok_sandbox.lock:
        tiktok_sandbox.reset()
        for shop in tiktok_sandbox.shops:
            shop.id = f"74{uuid.uuid4().int % 10**17:017d}"
            shop.cipher = "ROW_" + secrets.token_urlsafe(21)


def approve_tiktok_authorization(authorize_url: str, decision: str = "approve") -> str:
    """Press Approve (or Deny) on the sandbox's TikTok Shop authorize page; returns the redirect target."""
    return approve_shopify_grant(authorize_url, decision)  # the same form mechanics as Shopify's grant page


def connect_tiktok(client, tiktok_sandbox, *, new_shops: bool = True, decision: str = "approve",
                   import_catalog: bool = False) -> list[int]:
    """Connect the sandbox seller's TikTok shops to the logged-in tenant through the real seller authorization.

    Returns the ids of the tenant's integrations for the seller's shops, in shop order (none when a
    first connect is denied). `new_shops=False` authorizes the same shops as the last call (reconnect,
    another tenant). The TikTok catalog imports the connect queued are run here when `import_catalog`,
    else dropped, so no test leaves jobs behind for a later test's worker.
    """
    from shopsync.extensions import db
    from shopsync.models import Integration, User
    from tests.support.shopify_import import take_jobs

    if new_shops:
        give_seller_new_shops(tiktok_sandbox)
    start = client.get("/integrations/tiktok/connect")
    assert start.status_code == 302, start.get_data(as_text=True)
    callback = client.get(app_path(approve_tiktok_authorization(start.headers["Location"], decision)))
    assert callback.status_code == 302, callback.get_data(as_text=True)
    with client.session_transaction() as session:
        user_id = int(session["_user_id"].partition(":")[0])  # User.get_id(): "<id>:<session version>"
    app = client.application
    with app.app_context():
        tenant_id = db.session.get(User, user_id).tenant_id
        by_shop = dict(db.session.query(Integration.external_id, Integration.id).filter(
            Integration.tenant_id == tenant_id, Integration.platform == "tiktok",
            Integration.external_id.in_([shop.id for shop in tiktok_sandbox.shops])).all())
        ids = [by_shop[shop.id] for shop in tiktok_sandbox.shops if shop.id in by_shop]
        for integration_id in ids:
            for job in take_jobs(app, "shopsync.jobs.tiktok_imports.import_tiktok_catalog", arg=integration_id):
                if import_catalog:
                    job.func(*job.args, **job.kwargs)
    return ids
