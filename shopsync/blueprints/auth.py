"""Install from Shopify and log in through Shopify (authorization code grant).

Two round trips: the first (offline, expiring token) installs or re-installs the
store and keeps its token for background work; the second (online, per-user)
only tells us who the person is, then logs them in. A store that is already
installed with every scope ShopSync needs skips straight to the second, and
Shopify asks the merchant nothing there (consent is for installs and new scopes),
so the consent screen shows once, at install.
"""
from __future__ import annotations

from hmac import compare_digest

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..jobs import enqueue
from ..platforms.http import PlatformError
from ..platforms.shopify import oauth as shopify_oauth
from ..security import people, roles
from ..sync.connections import installation
from .safety import safe_next_url

bp = Blueprint("auth", __name__)

FLOW_KEY = "shopify_oauth"


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _callback_limit() -> str:
    return current_app.config["RATELIMIT_AUTH_CALLBACK"]


def _client_and_shop() -> str:
    """Sign-in limits count per client address and store: one client (or one store's sign-ins) using up
    its budget leaves every other merchant's alone."""
    shop = (request.values.get("shop") or "").strip().lower()[:255]
    return f"{get_remote_address()}|{shop}"


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render_template("auth/login.html", sandbox=current_app.config["SANDBOX_ENABLED"],
                           demo="sandbox_app" in current_app.extensions)


@bp.post("/login")
@limiter.limit(_auth_limit, key_func=_client_and_shop)
def login_submit():
    shop = (request.form.get("shop") or "").strip()
    if "." not in shop:
        shop = f"{shop}.myshopify.com"
    if not shopify_oauth.is_valid_shop_domain(shop):
        flash("Enter your store's address, like your-store.myshopify.com.", "error")
        return render_template("auth/login.html", sandbox=current_app.config["SANDBOX_ENABLED"], shop=shop), 400
    return redirect(url_for("auth.start", shop=shop.lower(), next=safe_next_url(request.form.get("next"))))


@bp.get("/auth/shopify")
@limiter.limit(_auth_limit, key_func=_client_and_shop)
def start():
    """Install request (the App URL Shopify opens, with hmac) or a login from our own page."""
    shop = request.args.get("shop", "")
    if not shopify_oauth.is_valid_shop_domain(shop):
        abort(400, "That is not a Shopify store address (expected your-store.myshopify.com).")
    secret = current_app.config["SHOPIFY_API_SECRET"]
    if "hmac" in request.args and not shopify_oauth.verify_query_hmac(request.args, secret):
        abort(400, "The request from Shopify could not be verified.")
    shop = shop.lower()
    # An installed store whose grant covers today's scopes only logs in: Shopify shows no consent for that.
    stage = "login" if installation.is_installed(shop, current_app.config["SHOPIFY_SCOPES"]) else "install"
    return _redirect_to_grant(shop, stage, safe_next_url(request.args.get("next")))


@bp.get("/auth/shopify/callback")
@limiter.limit(_callback_limit, key_func=_client_and_shop)
def callback():
    flow = session.pop(FLOW_KEY, None)
    params = request.args
    if flow is None or not compare_digest(str(params.get("state", "")).encode(), flow["state"].encode()):
        abort(400, "This sign-in link has expired or was not started here. Start again from the login page.")
    config = current_app.config
    if not shopify_oauth.verify_query_hmac(params, config["SHOPIFY_API_SECRET"]):
        abort(400, "The answer from Shopify could not be verified.")
    shop = params.get("shop", "")
    if not shopify_oauth.is_valid_shop_domain(shop) or shop.lower() != flow["shop"]:
        abort(400, "The answer from Shopify is for a different store.")
    code = params.get("code")
    if not code:
        abort(400, "Shopify did not send an authorization code.")

    base_url = config["SHOPIFY_BASE_URL"].format(shop=flow["shop"])
    try:
        token = shopify_oauth.exchange_code(
            base_url, config["SHOPIFY_API_KEY"], config["SHOPIFY_API_SECRET"], code,
            expiring=flow["stage"] == "install")
    except PlatformError:
        current_app.logger.warning("Shopify code exchange failed for %s", flow["shop"])
        abort(400, "Shopify did not accept this sign-in. Start again from the login page.")

    if flow["stage"] == "install":
        missing = shopify_oauth.missing_scopes(token.scope or "", config["SHOPIFY_SCOPES"])
        if missing:
            abort(400, "ShopSync needs these permissions to work: " + ", ".join(sorted(missing)))
        integration, restored = installation.install(flow["shop"], token, tenant_id=flow.get("tenant_id"))
        enqueue("shopsync.jobs.installs.after_install", integration.id)
        if restored is not None:
            flash(restored.message(), "success")
        return _redirect_to_grant(flow["shop"], "login", flow.get("next"))

    if not token.associated_user:
        abort(400, "Shopify did not say who is signing in.")
    try:
        user = installation.log_in(flow["shop"], token.associated_user)
    except installation.AccessRemoved:
        abort(403, "The store's account owner removed your access to ShopSync. Ask them to give it back in "
                   "Settings.")
    if user is None:
        abort(400, "This store is not installed. Install ShopSync from Shopify first.")
    login_user(user)
    return redirect(flow.get("next") or url_for("dashboard.index"))


@bp.post("/logout")
@login_required
def logout():
    """Ends this person's sessions everywhere, not only this browser's: a copied cookie dies with it."""
    people.end_sessions(current_user.tenant_id, [current_user.id])
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def ask_for_more_permissions(shop: str, next_url: str | None):
    """Send an installed store's merchant through the install screen again, for scopes added since."""
    return _redirect_to_grant(shop, "install", next_url)


def _redirect_to_grant(shop: str, stage: str, next_url: str | None):
    config = current_app.config
    url, state = shopify_oauth.authorize_url(
        config["SHOPIFY_BASE_URL"].format(shop=shop),
        config["SHOPIFY_API_KEY"],
        config["SHOPIFY_SCOPES"],
        config["PUBLIC_URL"] + url_for("auth.callback"),
        per_user=stage == "login",
    )
    # A merchant already logged in is connecting another store to their account (if they may: otherwise
    # the store is installed as an account of its own).
    tenant_id = current_user.tenant_id if current_user.is_authenticated and roles.may(current_user, roles.SHOPS) \
        else None
    session[FLOW_KEY] = {"state": state, "shop": shop, "stage": stage, "next": next_url, "tenant_id": tenant_id}
    return redirect(url)
