"""Simulator of the parts of Shopify ShopSync uses: OAuth, Admin GraphQL, bulk exports, webhooks."""
from .blueprint import create_blueprint
from .sandbox import ShopifySandbox

__all__ = ["ShopifySandbox", "create_blueprint"]
