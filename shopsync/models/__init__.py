"""The data model (DESIGN.md section 3). Importing this package registers every table."""
from ._types import utcnow
from .catalog import DeletedProduct, Image, InventoryLevel, Location, Product, Variant
from .integration import Credential, Integration
from .links import ProductLink
from .listings import CategoryFacts, CategoryTemplate, Listing, ListingImage, ListingShop
from .orders import CarrierMapping, Order, OrderEvent, OrderLine, Shipment
from .sync import Alert, SyncLog, SyncRun, WebhookEvent
from .tenant import ApiKey, Tenant, User
from .tiktok_catalog import TikTokProduct, TikTokSku, TikTokWarehouse
from .warehouses import WarehouseMapping

__all__ = [
    "Alert", "ApiKey", "Credential", "DeletedProduct", "Image", "Integration", "InventoryLevel", "Location", "Product", "ProductLink",
    "SyncLog", "SyncRun", "Tenant", "TikTokProduct", "TikTokSku", "TikTokWarehouse", "User", "Variant",
    "WebhookEvent", "utcnow", "WarehouseMapping",
    "CategoryFacts", "CategoryTemplate", "Listing", "ListingImage", "ListingShop",
    "CarrierMapping", "Order", "OrderEvent", "OrderLine", "Shipment",
]
