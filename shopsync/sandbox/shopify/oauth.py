"""Shopify's OAuth pages and token endpoint (authorization code grant)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request

from .sandbox import OAuthError, ShopifySandbox
from .urls import local_root

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def _escape_pair(key: str, value: str) -> str:
    key = key.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    value = value.replace("%", "%25").replace("&", "%26")
    return f"{key}={value}"


def query_hmac(pairs: list[tuple[str, str]], secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the sorted, escaped query without `hmac`/`signature` (shopify.md §1.2)."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in ("hmac", "signature"):
            continue
        grouped.setdefault(key, []).append(value)
    parts = []
    for key in sorted(grouped):
        values = grouped[key]
        if key.endswith("[]"):
            parts.append(_escape_pair(key[:-2], json.dumps(values)))
        else:
            parts.append(_escape_pair(key, values[-1]))
    message = "&".join(parts)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;color:#202223}"
            "button{padding:.5rem 1.2rem;margin-right:.5rem}li{margin:.2rem 0}</style></head>"
            f"<body>{body}</body></html>")
    return Response(html, status=status, mimetype="text/html")


def register(bp: Blueprint, sandbox: ShopifySandbox) -> None:
    settings = sandbox.settings

    def check_request(args) -> str | None:
        if not hmac.compare_digest(args.get("client_id", "").encode(), settings["shopify_api_key"].encode()):
            return "The client_id is not a known app."
        if args.get("redirect_uri", "") not in settings["shopify_redirect_uris"]:
            return "The redirect_uri is not whitelisted for this app."
        return None

    @bp.get("/<shop:shop>/admin/oauth/authorize")
    def authorize(shop: str):
        problem = check_request(request.args)
        if problem:
            return _page("Oauth error", f"<h1>Oauth error invalid_request</h1><p>{escape(problem)}</p>", 400)
        per_user = "per-user" in request.args.getlist("grant_options[]")
        scopes = [s for s in request.args.get("scope", "").split(",") if s]
        if sandbox.install_covers(shop, scopes) and not settings["shopify_prompt_every_time"]:
            # Shopify asks for consent to install and to grant new scopes; an installed app asking for what
            # it has (a per-user login, a re-authorization) is sent straight back with a code.
            return _granted(shop, request.args)
        hidden = "".join(f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
                         for k, v in request.args.items(multi=True))
        user_note = ""
        if per_user:
            user = sandbox.ensure_shop(shop).staff_user or sandbox._default_user(shop)
            user_note = f"<p>Logged in as {escape(user.email)}</p>"
        items = "".join(f"<li>{escape(s)}</li>" for s in scopes)
        return _page("Install ShopSync", (
            f"<h1>Install ShopSync</h1><p>on <strong>{escape(shop)}</strong></p>{user_note}"
            f"<p>ShopSync will be able to:</p><ul>{items}</ul>"
            f"<form method='post' action='{escape(local_root())}/{escape(shop)}/admin/oauth/authorize'>"
            f"{hidden}<button name='decision' value='install'>Install</button>"
            "<button name='decision' value='cancel'>Cancel</button></form>"))

    @bp.post("/<shop:shop>/admin/oauth/authorize")
    def decide(shop: str):
        problem = check_request(request.form)
        if problem:
            return _page("Oauth error", f"<h1>Oauth error invalid_request</h1><p>{escape(problem)}</p>", 400)
        if request.form.get("decision") != "install":
            return _page("Installation cancelled", f"<h1>Installation cancelled</h1><p>{escape(shop)}</p>")
        return _granted(shop, request.form)

    def _granted(shop: str, args):
        """Back to the app with a code, as Shopify does once the grant is approved (or needs no approval)."""
        per_user = "per-user" in args.getlist("grant_options[]")
        user = None
        if per_user:
            user = sandbox.ensure_shop(shop).staff_user or sandbox._default_user(shop)
        code = sandbox.issue_code(shop, args.get("scope", ""), per_user, user)
        params = [("code", code), ("host", _host(shop)), ("shop", shop)]
        if "state" in args:
            params.append(("state", args["state"]))
        params.append(("timestamp", str(int(time.time()))))
        params.insert(1, ("hmac", query_hmac(params, settings["shopify_api_secret"])))
        return redirect(f"{args['redirect_uri']}?{urlencode(params)}", code=302)

    @bp.post("/<shop:shop>/admin/oauth/access_token")
    def access_token(shop: str):
        data = request.get_json(silent=True) if request.is_json else request.form
        data = data or {}
        try:
            grant_type = data.get("grant_type")
            if grant_type == "refresh_token":
                answer = sandbox.refresh(shop, data.get("client_id"), data.get("client_secret"),
                                         data.get("refresh_token"))
            elif grant_type == TOKEN_EXCHANGE:
                answer = sandbox.migrate_to_expiring(shop, data.get("client_id"), data.get("client_secret"),
                                                     data.get("subject_token"))
            elif grant_type in (None, "authorization_code"):
                expiring = str(data.get("expiring", "0")) in ("1", "true")
                answer = sandbox.exchange_code(shop, data.get("client_id"), data.get("client_secret"),
                                               data.get("code"), expiring)
            else:
                raise OAuthError(400, "unsupported_grant_type", "The grant type is not supported")
        except OAuthError as error:
            return jsonify(error.body()), error.status
        return jsonify(answer)


def _host(shop: str) -> str:
    return base64.b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode()).decode().rstrip("=")
