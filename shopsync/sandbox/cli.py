"""`flask shopsync sandbox ...`: change the sandbox store's prices and stock, and buy on the TikTok sandbox.

The sandbox keeps its state in the process that serves it, so these commands go
through its control API over HTTP (SANDBOX_URL), as a browser on its admin page would.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click
import requests
from flask import current_app
from flask.cli import AppGroup

sandbox_cli = AppGroup("sandbox", help="Change the sandbox Shopify store (price, stock) or buy on the sandbox "
                                       "TikTok Shop (sell, cancel, return); both then send webhooks.")
DEMO_SHOP = "demo-store.myshopify.com"


def _control(path: str) -> str:
    return f"{current_app.config['SANDBOX_URL']}/shopify/_control/shops/{path}"


def _reach(method: str, url: str, **options) -> requests.Response:
    try:
        return requests.request(method, url, timeout=10, **options)
    except requests.ConnectionError:
        raise click.ClickException(f"the sandbox is not answering at {current_app.config['SANDBOX_URL']}: "
                                   "start ShopSync with `make run` first") from None


def _variant(shop: str, sku: str) -> dict:
    answer = _reach("GET", _control(f"{shop}/variants"), params={"sku": sku})
    if answer.status_code == 404:
        raise click.ClickException(f"the sandbox has no store {shop} (install it first)")
    matches = answer.json()
    if not matches:
        raise click.ClickException(f"no variant with SKU {sku} in {shop}")
    return matches[0]


@sandbox_cli.command("set-stock")
@click.argument("sku")
@click.argument("available", type=click.IntRange(min=0))
@click.option("--location", "location_id", type=int, default=None,
              help="Shopify location id (default: the variant's first location).")
@click.option("--shop", default=DEMO_SHOP, show_default=True)
def set_stock(sku: str, available: int, location_id: int | None, shop: str):
    """Set the stock available for SKU at one location."""
    variant = _variant(shop, sku)
    if location_id is None:
        if not variant["levels"]:
            raise click.ClickException(f"{sku} has no stock location yet: pass --location")
        location_id = int(min(variant["levels"], key=int))
    answer = requests.post(_control(f"{shop}/inventory"), timeout=10, json={
        "variant_id": variant["id"], "location_id": location_id, "available": available})
    if answer.status_code >= 400:
        raise click.ClickException(f"the sandbox refused the change: {answer.text[:200]}")
    click.echo(f"{sku}: {available} available at location {location_id} (webhooks sent)")


def _price(value: str) -> str:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a price like 19.99") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter(f"{value!r} is not a price like 19.99")
    return str(amount)


@sandbox_cli.command("set-price")
@click.argument("sku")
@click.argument("price", callback=lambda ctx, param, value: _price(value))
@click.option("--shop", default=DEMO_SHOP, show_default=True)
def set_price(sku: str, price: str, shop: str):
    """Set the price of SKU."""
    variant = _variant(shop, sku)
    answer = requests.post(_control(f"{shop}/variants/{variant['id']}/price"), json={"price": price}, timeout=10)
    if answer.status_code >= 400:
        raise click.ClickException(f"the sandbox refused the price: {answer.text[:200]}")
    click.echo(f"{sku}: price {price} (webhooks sent)")


@sandbox_cli.command("sell-on-shopify")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=1, max=100), default=1)
@click.option("--shop", default=DEMO_SHOP, show_default=True)
def sell_on_shopify(sku: str, quantity: int, shop: str):
    """A buyer checks out QUANTITY units of SKU on the sandbox store's online store (refused when sold out)."""
    answer = _reach("POST", _control(f"{shop}/storefront/orders"), json={"sku": sku, "quantity": quantity})
    if answer.status_code >= 400:
        raise click.ClickException(answer.json().get("message", answer.text[:200]))
    order = answer.json()
    click.echo(f"Shopify order {order['name']}: {quantity} x {sku} (webhooks sent)")


# ---- TikTok Shop: buyers -----------------------------------------------------------------------------
def _tiktok_order_control(path: str, payload: dict) -> dict:
    answer = _reach("POST", f"{current_app.config['SANDBOX_URL']}/tiktok/_control/orders{path}", json=payload)
    if answer.status_code == 404:
        raise click.ClickException(answer.json().get("error", "not found"))
    if answer.status_code >= 400:
        raise click.ClickException(f"TikTok refused: {answer.json().get('error', answer.text[:200])}")
    return answer.json()


def _units(order: dict) -> str:
    counts: dict[str, int] = {}
    for item in order["line_items"]:
        if item["display_status"] != "CANCELLED":
            counts[item["seller_sku"]] = counts.get(item["seller_sku"], 0) + 1
    return ", ".join(f"{n} x {sku}" for sku, n in counts.items()) or "no units left"


@sandbox_cli.command("sell")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=1, max=100), default=1)
@click.option("--shop", "shop_id", default=None, help="TikTok shop id (default: the first shop listing SKU).")
@click.option("--hold/--no-hold", default=True, show_default=True,
              help="Go through ON_HOLD (the buyer's cancellation window) before AWAITING_SHIPMENT.")
@click.option("--fbt", is_flag=True, help="A Fulfilled-by-TikTok order (TikTok ships it from its own stock).")
def sell(sku: str, quantity: int, shop_id: str | None, hold: bool, fbt: bool):
    """A buyer orders QUANTITY units of seller SKU on the TikTok sandbox (TikTok's stock drops)."""
    order = _tiktok_order_control("", {"seller_sku": sku, "quantity": quantity, "shop_id": shop_id,
                                       "on_hold": hold, "fulfilled_by_tiktok": fbt})
    click.echo(f"TikTok order {order['id']}: {_units(order)}, {order['status']} (webhooks sent)")


@sandbox_cli.command("cancel")
@click.argument("order_id")
@click.option("--line-item", "line_item_ids", multiple=True,
              help="Cancel only this line item (one unit); repeat for more. Default: every unshipped unit.")
@click.option("--by", "role", type=click.Choice(["BUYER", "SELLER", "SYSTEM"], case_sensitive=False),
              default="BUYER", show_default=True)
@click.option("--request", is_flag=True,
              help="The buyer only asks (AWAITING_SHIPMENT orders): the seller approves, rejects or ships.")
def cancel(order_id: str, line_item_ids: tuple[str, ...], role: str, request: bool):
    """Cancel a TikTok order (or some of its units); TikTok's stock comes back."""
    order = _tiktok_order_control(f"/{order_id}/cancel", {"line_item_ids": list(line_item_ids), "role": role,
                                                          "request": request})
    click.echo(f"TikTok order {order['id']}: cancellation {order['cancel_id']} {order['cancel_status']}, "
               f"order {order['status']} (webhooks sent)")


@sandbox_cli.command("return")
@click.argument("order_id")
@click.option("--line-item", "line_item_ids", multiple=True,
              help="Return only this line item (one unit); repeat for more. Default: every shipped unit.")
@click.option("--refund-only", is_flag=True, help="A refund without sending the item back.")
@click.option("--pending", is_flag=True, help="Stop at RETURN_OR_REFUND_REQUEST_PENDING: the seller decides.")
def return_order(order_id: str, line_item_ids: tuple[str, ...], refund_only: bool, pending: bool):
    """The buyer returns a shipped TikTok order; the return goes through to RETURN_OR_REFUND_REQUEST_COMPLETE."""
    order = _tiktok_order_control(f"/{order_id}/return", {
        "line_item_ids": list(line_item_ids), "return_type": "REFUND" if refund_only else "RETURN_AND_REFUND",
        "until": "RETURN_OR_REFUND_REQUEST_PENDING" if pending else None})
    click.echo(f"TikTok order {order['id']}: return {order['return_id']} {order['return_status']} (webhooks sent)")


@sandbox_cli.command("release-hold")
@click.argument("order_id")
def release_hold(order_id: str):
    """End a TikTok order's ON_HOLD window now: it moves to AWAITING_SHIPMENT."""
    order = _tiktok_order_control(f"/{order_id}/release-hold", {})
    click.echo(f"TikTok order {order['id']}: {order['status']} (webhooks sent)")
