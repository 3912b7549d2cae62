"""`flask shopsync webhooks sync` and `flask shopsync import <shop>`."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import Integration
from .models.integration import ACTIVE, SHOPIFY
from .platforms.http import PlatformError

webhooks_cli = AppGroup("webhooks", help="Shopify webhook subscriptions.")


@webhooks_cli.command("sync")
def sync_webhooks():
    """Repair the webhook subscriptions of every active Shopify store."""
    from .jobs.installs import repair_webhooks

    integrations = db.session.execute(select(Integration).where(
        Integration.platform == SHOPIFY, Integration.status == ACTIVE)).scalars().all()
    failures = 0
    for integration in integrations:
        try:
            changes = repair_webhooks(integration)
        except PlatformError as error:
            failures += 1
            click.echo(f"{integration.external_id}: failed ({error.message})", err=True)
            continue
        click.echo(f"{integration.external_id}: kept {len(changes.kept)}, created {len(changes.created)}, "
                   f"replaced {len(changes.removed)}")
    if failures:
        raise SystemExit(1)


@click.command("import")
@click.argument("shop")
@click.option("--changed-only", is_flag=True, help="Only products changed since the last import.")
def import_shop(shop: str, changed_only: bool):
    """Import a store's Shopify catalog now, in this process."""
    from .jobs.imports import request_flushes
    from .sync.catalog.shopify_import import FULL, INCREMENTAL, create_import_run, run_import
    from .sync.connections.installation import shopify_integration

    integration = shopify_integration(shop.lower())
    if integration is None:
        raise click.ClickException(f"{shop} has not installed ShopSync")
    run = create_import_run(integration, "manual")
    try:
        request_flushes(run_import(run, INCREMENTAL if changed_only else FULL), "manual")
    except PlatformError:
        pass  # the run holds the reason
    click.echo(f"{integration.external_id}: {run.status}: {run.message}")
    if run.status != "succeeded":
        raise SystemExit(1)


def register(group: AppGroup) -> None:
    group.add_command(webhooks_cli)
    group.add_command(import_shop)
