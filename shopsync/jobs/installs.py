"""Right after a store installs ShopSync: subscribe to its webhooks, then import its catalog."""
from __future__ import annotations

from ..extensions import db
from ..models import Integration
from ..sync.connections.shopify_access import shopify_admin
from ..sync.connections.webhook_subscriptions import (SubscriptionChanges, store_topics, sync_webhook_subscriptions,
                                                      webhook_address)
from ..sync.orders.permissions import missing_order_scopes
from . import app_job
from .imports import start_import
from .orders import queue_waiting_orders


def repair_webhooks(integration: Integration) -> SubscriptionChanges:
    return sync_webhook_subscriptions(shopify_admin(integration), webhook_address(),
                                      store_topics(with_orders=not missing_order_scopes(integration)))


@app_job
def after_install(integration_id: int) -> None:
    integration = db.session.get(Integration, integration_id)
    if integration is None or not integration.is_active:
        return
    repair_webhooks(integration)
    queue_waiting_orders(integration.tenant_id)
    start_import(integration, "install")
