"""Connecting TikTok shops (seller authorization), disconnecting them, importing their catalog."""
from __future__ import annotations

import secrets
from hmac import compare_digest

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import login_required

from ..jobs import enqueue
from ..jobs.orders import ORDER_RETRY, subscribe_tiktok_webhooks
from ..jobs.tiktok_imports import queue_tiktok_import
from ..models import Integration
from ..models.integration import ACTIVE, TIKTOK
from ..platforms.http import PlatformError, new_session
from ..platforms.tiktok import oauth
from ..platforms.tiktok.products import authorized_shops
from ..security import roles
from ..sync import onboarding
from ..sync.connections import tiktok_connect
from ..sync.connections.tiktok_access import seller_client
from ..tenancy import current_tenant_id, get_or_404
from . import demo

bp = Blueprint("tiktok", __name__)

FLOW_KEY = "tiktok_connect"


@bp.get("/integrations/tiktok/connect")
@login_required
@roles.requires(roles.SHOPS)
def connect():
    state = secrets.token_urlsafe(32)
    session[FLOW_KEY] = {"state": state, "tenant_id": current_tenant_id()}
    config = current_app.config
    return redirect(oauth.authorize_url(config["TIKTOK_AUTHORIZE_URL"], config["TIKTOK_SERVICE_ID"], state))


@bp.get("/tiktok/callback")
@login_required
@roles.requires(roles.SHOPS)
def callback():
    flow = session.pop(FLOW_KEY, None)
    if (flow is None or flow.get("tenant_id") != current_tenant_id()
            or not compare_digest(str(request.args.get("state", "")).encode(), flow["state"].encode())):
        abort(400, "This TikTok Shop connection was not started here or has already been used. "
                   "Start again from Integrations.")
    if request.args.get("error"):
        if request.args["error"] == "access_denied":
            flash("TikTok Shop access was not approved, so nothing was connected. "
                  "Connect again whenever you are ready.", "info")
        else:
            flash("TikTok Shop did not complete the connection, so nothing was connected. Please try again.",
                  "error")
        return redirect(url_for("integrations.index"))
    code = request.args.get("code")
    if not code:
        abort(400, "TikTok Shop did not send an authorization code. Start again from Integrations.")

    config = current_app.config
    try:
        tokens = oauth.exchange_code(new_session(), config["TIKTOK_AUTH_BASE_URL"], config["TIKTOK_APP_KEY"],
                                     config["TIKTOK_APP_SECRET"], code)
        shops = authorized_shops(seller_client(tokens.access_token))
    except PlatformError as error:
        current_app.logger.warning("TikTok Shop connection failed: %s", error.message)
        flash("TikTok Shop did not accept this connection. Please start again.", "error")
        return redirect(url_for("integrations.index"))

    result = tiktok_connect.connect_shops(current_tenant_id(), tokens, shops)
    for integration in result.connected:
        queue_tiktok_import(integration, trigger="manual")
        enqueue(subscribe_tiktok_webhooks, integration.id, retry=ORDER_RETRY)
    if result.connected:
        names = ", ".join(integration.name for integration in result.connected)
        flash(f"Connected TikTok Shop: {names}. Importing the TikTok catalog now.", "success")
    for shop in result.refused:
        flash(f"TikTok shop {shop.name} is already connected to another ShopSync account, so it was not "
              "connected here. Disconnect it there first.", "error")
    if not shops:
        flash("This TikTok Shop seller account has no shops to connect.", "warning")
    if demo.connected(current_tenant_id()):
        flash("Demo ready: both catalogs are importing, then ShopSync links them by SKU. Follow it below.", "success")
        return redirect(url_for("dashboard.index"))
    needing_rate = [shop for shop in onboarding.shops_needing_a_rate(current_tenant_id())
                    if shop.id in {integration.id for integration in result.connected}]
    if needing_rate:
        return redirect(url_for("integrations.defaults", integration_id=needing_rate[0].id, ask="currency"))
    return redirect(url_for("integrations.index"))


@bp.post("/integrations/<int:integration_id>/disconnect")
@login_required
@roles.requires(roles.SHOPS)
def disconnect(integration_id: int):
    integration = get_or_404(Integration, integration_id)
    if integration.platform != TIKTOK:
        abort(400, "To disconnect your Shopify store, uninstall ShopSync from your Shopify admin.")
    tiktok_connect.disconnect(integration)
    flash(f"Disconnected TikTok shop {integration.name}. Nothing is synced to it until you reconnect.", "info")
    return redirect(url_for("integrations.index"))


@bp.post("/integrations/<int:integration_id>/import-tiktok")
@login_required
def import_catalog(integration_id: int):
    integration = get_or_404(Integration, integration_id)
    if integration.platform != TIKTOK or integration.status != ACTIVE:
        abort(400, "Only a connected TikTok shop's catalog can be imported.")
    queue_tiktok_import(integration, trigger="manual")
    flash(f"Importing the catalog of TikTok shop {integration.name}.", "success")
    return redirect(url_for("integrations.index"))
