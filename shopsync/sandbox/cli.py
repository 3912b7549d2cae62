"""`flask shopsync sandbox ...`: change the sandbox store's prices and stock from a terminal.

The sandbox keeps its state in the process that serves it, so these commands go
through its control API over HTTP (SANDBOX_URL), as a browser on its admin page would.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click
import requests
from flask import current_app
from flask.cli import AppGroup

sandbox_cli = AppGroup("sandbox", help="Change the sandbox Shopify store (price, stock); it then sends webhooks.")
DEMO_SHOP = "demo-store.myshopify.com"


def _control(path: str) -> str:
    return f"{current_app.config['SANDBOX_URL']}/shopify/_control/shops/{path}"


def _variant(shop: str, sku: str) -> dict:
    try:
        answer = requests.get(_control(f"{shop}/variants"), params={"sku": sku}, timeout=10)
    except requests.ConnectionError:
        raise click.ClickException(f"the sandbox is not answering at {current_app.config['SANDBOX_URL']}: "
                                   "start ShopSync with `make run` first") from None
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
