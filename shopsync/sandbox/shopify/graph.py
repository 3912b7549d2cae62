"""Resolvers over a shop's state: one small view class per Admin API object type.

graphql-core's default resolver reads attributes and calls callables with (info, **args), so each
view exposes the schema's field names directly. The same views feed bulk operation exports.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from graphql import GraphQLError

from .search import InvalidCursor, matcher, page
from .store import (
    BulkOperation,
    Location,
    Product,
    Shop,
    Subscription,
    Variant,
    gid,
    iso,
    money,
    parse_gid,
)

QUANTITY_NAMES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged",
                  "safety_stock", "quality_control")


ACCESS_SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"
# The access scope each kind of object needs, as Shopify enforces it for the fields ShopSync reads.
SCOPE_OF = {"Product": "read_products", "ProductVariant": "read_products", "InventoryItem": "read_inventory",
            "InventoryLevel": "read_inventory", "Location": "read_locations", "Order": "read_orders",
            "Fulfillment": "read_orders", "Refund": "read_orders",
            "FulfillmentOrder": "read_merchant_managed_fulfillment_orders"}


@dataclass
class Context:
    shop: Shop
    sandbox: Any  # ShopifySandbox; typed loosely to avoid an import cycle
    base_url: str  # absolute URL of the blueprint root, e.g. http://127.0.0.1:5000/shopify
    api_version: str
    scopes: frozenset[str]  # what the request's access token was granted

    def image_url(self, image_id: int) -> str:
        return f"{self.base_url}/_images/{image_id}.png"

    def require(self, kind: str, field: str) -> None:
        """Refuse `field` as Shopify does when the token lacks the scope its objects need."""
        self.require_scope(SCOPE_OF[kind], field)

    def require_scope(self, scope: str, field: str) -> None:
        if scope not in self.scopes:
            raise GraphQLError(f"Access denied for {field} field. Required access: `{scope}` access scope.",
                               extensions={"code": "ACCESS_DENIED", "documentation": ACCESS_SCOPES_DOCS,
                                           "requiredAccess": f"`{scope}` access scope."})


def connection(items: Iterable[Any], args: dict, *, key: Callable, ident: Callable, wrap: Callable,
               all_items: bool = False) -> dict:
    """A Relay connection over items; `all_items` (bulk export) ignores page size."""
    try:
        chosen, info, cursors = page(
            items, key=key, ident=ident,
            first=None if all_items else args.get("first"), after=args.get("after"),
            last=None if all_items else args.get("last"), before=args.get("before"),
            reverse=bool(args.get("reverse")), with_cursors=not all_items,
        )
    except InvalidCursor:
        raise GraphQLError("Invalid cursor for current pagination sort.") from None
    nodes = [wrap(item) for item in chosen]
    return {
        "nodes": nodes,
        "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(cursors, nodes)],
        "pageInfo": info,
    }


def _count(value: int) -> dict:
    return {"count": value, "precision": "EXACT"}


class ImageView:
    typename = "Image"

    def __init__(self, ctx: Context, image_id: int, alt: str):
        self.id = gid("ImageSource", image_id)
        self.altText = alt
        self.width = self.height = 800
        self._url = ctx.image_url(image_id)
        self.src = self.originalSrc = self._url

    def url(self, info=None, **_args) -> str:
        return self._url


class MediaImageView:
    typename = "MediaImage"
    mediaContentType = "IMAGE"
    status = "READY"

    def __init__(self, ctx: Context, product: Product, image_id: int, position: int):
        self.id = gid("MediaImage", image_id)
        self.alt = f"{product.title} image {position}"
        self.image = ImageView(ctx, image_id, self.alt)
        self.preview = {"image": self.image, "status": "READY"}
        self._position = position
        self.createdAt = self.updatedAt = iso(product.created_at)


class _Stamped:
    """createdAt/updatedAt formatted only when asked for (bulk exports touch many objects)."""

    @property
    def createdAt(self) -> str:
        return iso(self._p.created_at)

    @property
    def updatedAt(self) -> str:
        return iso(getattr(self, "_v", self._p).updated_at)


class ProductView(_Stamped):
    typename = "Product"

    def __init__(self, ctx: Context, product: Product):
        self._ctx, self._p = ctx, product
        self.id = gid("Product", product.id)
        self.legacyResourceId = str(product.id)
        self.title = product.title
        self.handle = product.handle
        self.status = product.status
        self.vendor = product.vendor
        self.productType = product.product_type
        self.descriptionHtml = product.description_html or f"<p>{product.title}</p>"
        self.description = product.title
        self.tags = list(product.tags)
        self.category = None  # no Shopify taxonomy category in the sandbox's catalog
        self.publishedAt = iso(product.created_at) if product.status == "ACTIVE" else None
        self.isGiftCard = False
        self.hasOnlyDefaultVariant = len(product.variants) == 1 and product.variants[0].title == "Default Title"
        self.tracksInventory = True

    def options(self, info=None, first=None) -> list[dict]:
        names = self._p.option_names or ["Title"]
        return [{"id": gid("ProductOption", self._p.id * 10 + position), "name": name, "position": position,
                 "values": values, "optionValues": [{"name": v, "hasVariants": True} for v in values]}
                for position, name in enumerate(names, 1)
                for values in [list(dict.fromkeys(_option_value(v, position - 1) for v in self._p.variants))]][:first]

    def collections(self, info=None, all_items=False, **args) -> dict:
        titles = list(enumerate(self._p.collections, 1))
        return connection(titles, args, key=lambda c: c[0], ident=lambda c: c[0],
                          wrap=lambda c: {"id": gid("Collection", c[0]), "title": c[1],
                                          "handle": c[1].lower().replace(" ", "-")}, all_items=all_items)

    def metafields(self, info=None, all_items=False, namespace=None, **args) -> dict:
        fields = [(number, *name.split(".", 1), value)
                  for number, (name, value) in enumerate(sorted(self._p.metafields.items()), 1)]
        fields = [f for f in fields if namespace is None or f[1] == namespace]
        return connection(fields, args, key=lambda f: f[0], ident=lambda f: f[0],
                          wrap=lambda f: {"id": gid("Metafield", self._p.id * 100 + f[0]), "namespace": f[1],
                                          "key": f[2], "value": f[3], "type": "single_line_text_field"},
                          all_items=all_items)

    @property
    def totalInventory(self) -> int:
        return sum(v.inventory_quantity for v in self._p.variants)

    def _media(self) -> list[MediaImageView]:
        return [MediaImageView(self._ctx, self._p, image_id, n) for n, image_id in enumerate(self._p.image_ids, 1)]

    def media(self, info=None, all_items=False, **args) -> dict:
        return connection(self._media(), args, key=lambda m: m._position, ident=lambda m: parse_gid(m.id)[1],
                          wrap=lambda m: m, all_items=all_items)

    def images(self, info=None, all_items=False, **args) -> dict:
        return connection([m.image for m in self._media()], args, key=lambda i: parse_gid(i.id)[1],
                          ident=lambda i: parse_gid(i.id)[1], wrap=lambda i: i, all_items=all_items)

    @property
    def featuredMedia(self):
        media = self._media()
        return media[0] if media else None

    @property
    def featuredImage(self):
        media = self._media()
        return media[0].image if media else None

    def variants(self, info=None, all_items=False, **args) -> dict:
        return connection(self._p.variants, args, key=lambda v: v.position, ident=lambda v: v.id,
                          wrap=lambda v: VariantView(self._ctx, self._p, v), all_items=all_items)

    @property
    def variantsCount(self) -> dict:
        return _count(len(self._p.variants))

    @property
    def mediaCount(self) -> dict:
        return _count(len(self._p.image_ids))


class VariantView(_Stamped):
    typename = "ProductVariant"

    def __init__(self, ctx: Context, product: Product, variant: Variant):
        self._ctx, self._p, self._v = ctx, product, variant
        self.id = gid("ProductVariant", variant.id)
        self.legacyResourceId = str(variant.id)
        self.title = variant.title
        self.displayName = f"{product.title} - {variant.title}"
        self.sku = variant.sku
        self.barcode = variant.barcode
        self.price = money(variant.price)
        self.compareAtPrice = money(variant.compare_at_price)
        self.inventoryQuantity = variant.inventory_quantity if variant.tracked else None
        self.availableForSale = product.status == "ACTIVE" and variant.inventory_quantity > 0
        self.inventoryPolicy = variant.inventory_policy
        self.position = variant.position
        self.taxable = True
        self.selectedOptions = [{"name": name, "value": _option_value(variant, n)}
                                for n, name in enumerate(product.option_names or ["Title"])]

    @property
    def product(self) -> ProductView:
        return ProductView(self._ctx, self._p)

    @property
    def inventoryItem(self) -> "InventoryItemView":
        return InventoryItemView(self._ctx, self._p, self._v)


class InventoryItemView(_Stamped):
    typename = "InventoryItem"

    def __init__(self, ctx: Context, product: Product, variant: Variant):
        self._ctx, self._p, self._v = ctx, product, variant
        self.id = gid("InventoryItem", variant.inventory_item_id)
        self.legacyResourceId = str(variant.inventory_item_id)
        self.tracked = variant.tracked
        self.sku = variant.sku
        self.requiresShipping = True
        value, unit = variant.weight or (0, "GRAMS")
        self.measurement = {"id": gid("InventoryItemMeasurement", variant.inventory_item_id),
                            "weight": {"value": float(value), "unit": unit}}

    @property
    def variant(self) -> VariantView:
        return VariantView(self._ctx, self._p, self._v)

    def _levels(self) -> list["InventoryLevelView"]:
        locations = self._ctx.shop.locations
        return [InventoryLevelView(self._ctx, self._p, self._v, locations[location_id])
                for location_id in sorted(self._v.levels) if location_id in locations]

    def inventoryLevels(self, info=None, all_items=False, query=None, **args) -> dict:
        self._ctx.require("InventoryLevel", "inventoryLevels")
        return connection(self._levels(), args, key=lambda level: level._location.id,
                          ident=lambda level: level._location.id, wrap=lambda level: level, all_items=all_items)

    def inventoryLevel(self, info=None, locationId=None, **_args):
        self._ctx.require("InventoryLevel", "inventoryLevel")
        target = parse_gid(locationId or "")
        return next((level for level in self._levels() if target and level._location.id == target[1]), None)


class InventoryLevelView:
    typename = "InventoryLevel"

    def __init__(self, ctx: Context, product: Product, variant: Variant, location: Location):
        self._ctx, self._p, self._v, self._location = ctx, product, variant, location
        self.id = f"gid://shopify/InventoryLevel/{location.id}?inventory_item_id={variant.inventory_item_id}"
        self.location = LocationView(location)
        self.createdAt = iso(product.created_at)
        self.updatedAt = iso(variant.updated_at)
        self.canDeactivate = True

    @property
    def item(self) -> InventoryItemView:
        return InventoryItemView(self._ctx, self._p, self._v)

    def quantities(self, info=None, names=()) -> list[dict]:
        available = self._v.levels.get(self._location.id, 0)
        committed = self._v.committed.get(self._location.id, 0)
        amounts = {"available": available, "committed": committed, "on_hand": available + committed}
        unknown = [name for name in names if name not in QUANTITY_NAMES]
        if unknown:
            raise GraphQLError(f"The quantity name '{unknown[0]}' is invalid.")
        return [{"id": f"gid://shopify/InventoryQuantity/{self._location.id}?inventory_item_id="
                       f"{self._v.inventory_item_id}&name={name}",
                 "name": name, "quantity": amounts.get(name, 0), "updatedAt": self.updatedAt} for name in names]


class LocationView:
    typename = "Location"

    def __init__(self, location: Location):
        self.id = gid("Location", location.id)
        self.legacyResourceId = str(location.id)
        self.name = location.name
        self.isActive = location.is_active
        self.fulfillsOnlineOrders = location.fulfills_online_orders
        self.shipsInventory = location.is_active
        self.isPrimary = False
        self.hasActiveInventory = True
        self.address = {"countryCode": "US", "country": "United States", "city": "Springfield", "formatted": []}


class SubscriptionView:
    typename = "WebhookSubscription"

    def __init__(self, subscription: Subscription, api_version: str):
        self.id = gid("WebhookSubscription", subscription.id)
        self.legacyResourceId = str(subscription.id)
        self.topic = subscription.topic
        self.uri = self.callbackUrl = subscription.uri
        self.endpoint = {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription.uri}
        self.format = "JSON"
        self.includeFields = []
        self.metafieldNamespaces = []
        self.filter = None
        self.createdAt = self.updatedAt = iso(subscription.created_at)
        self.apiVersion = {"handle": api_version, "displayName": api_version, "supported": True}


class BulkOperationView:
    typename = "BulkOperation"

    def __init__(self, operation: BulkOperation):
        self.id = gid("BulkOperation", operation.id)
        self.status = operation.status
        self.errorCode = operation.error_code
        self.objectCount = str(operation.object_count)
        self.rootObjectCount = str(operation.root_object_count)
        self.fileSize = None if operation.file_size is None else str(operation.file_size)
        self.url = operation.url
        self.partialDataUrl = operation.partial_data_url
        self.query = operation.query
        self.type = "QUERY"
        self.createdAt = iso(operation.created_at)
        self.completedAt = iso(operation.completed_at) if operation.completed_at else None


def _option_value(variant: Variant, index: int) -> str:
    return variant.options[index] if index < len(variant.options) else variant.title


def _status_key(product: Product) -> str:
    return product.status


PRODUCT_SEARCH = {
    "updated_at": lambda p: p.updated_at,
    "created_at": lambda p: p.created_at,
    "status": _status_key,
    "id": lambda p: p.id,
    "title": lambda p: p.title,
    "handle": lambda p: p.handle,
    "vendor": lambda p: p.vendor,
    "product_type": lambda p: p.product_type,
    "sku": lambda p: next((v.sku for v in p.variants), None),
}
PRODUCT_SORT = {
    "ID": lambda p: p.id,
    "UPDATED_AT": lambda p: p.updated_at,
    "CREATED_AT": lambda p: p.created_at,
    "TITLE": lambda p: p.title,
    "VENDOR": lambda p: p.vendor,
    "PRODUCT_TYPE": lambda p: p.product_type,
    "INVENTORY_TOTAL": lambda p: sum(v.inventory_quantity for v in p.variants),
    "PUBLISHED_AT": lambda p: p.created_at,
    "RELEVANCE": lambda p: p.id,
}
VARIANT_SEARCH = {
    "updated_at": lambda pv: pv[1].updated_at,
    "sku": lambda pv: pv[1].sku,
    "barcode": lambda pv: pv[1].barcode,
    "id": lambda pv: pv[1].id,
    "product_id": lambda pv: pv[0].id,
}


class Root:
    """Root value for both QueryRoot and Mutation; `extensions` (mutations, order queries) add fields."""

    def __init__(self, ctx: Context, *extensions: Any):
        self._ctx = ctx
        self._extensions = extensions

    def __getattr__(self, name: str):
        for extension in self._extensions:
            if hasattr(extension, name):
                return getattr(extension, name)
        raise AttributeError(name)

    # -- catalog ---------------------------------------------------------------------------
    def products(self, info=None, all_items=False, **args) -> dict:
        ctx = self._ctx
        ctx.require("Product", "products")
        matches = matcher(args.get("query"), PRODUCT_SEARCH)
        items = [p for p in ctx.shop.products.values() if matches(p)]
        return connection(items, args, key=PRODUCT_SORT[args.get("sortKey") or "ID"], ident=lambda p: p.id,
                          wrap=lambda p: ProductView(ctx, p), all_items=all_items)

    def productsCount(self, info=None, query=None, **_args) -> dict:
        self._ctx.require("Product", "productsCount")
        matches = matcher(query, PRODUCT_SEARCH)
        return _count(sum(1 for p in self._ctx.shop.products.values() if matches(p)))

    def productVariants(self, info=None, all_items=False, **args) -> dict:
        ctx = self._ctx
        ctx.require("ProductVariant", "productVariants")
        matches = matcher(args.get("query"), VARIANT_SEARCH)
        items = [(p, v) for p in ctx.shop.products.values() for v in p.variants if matches((p, v))]
        sort = {"UPDATED_AT": lambda pv: pv[1].updated_at, "SKU": lambda pv: pv[1].sku}.get(
            args.get("sortKey"), lambda pv: pv[1].id)
        return connection(items, args, key=sort, ident=lambda pv: pv[1].id,
                          wrap=lambda pv: VariantView(ctx, *pv), all_items=all_items)

    def inventoryItems(self, info=None, all_items=False, **args) -> dict:
        ctx = self._ctx
        ctx.require("InventoryItem", "inventoryItems")
        matches = matcher(args.get("query"), VARIANT_SEARCH)
        items = [(p, v) for p in ctx.shop.products.values() for v in p.variants if matches((p, v))]
        return connection(items, args, key=lambda pv: pv[1].inventory_item_id,
                          ident=lambda pv: pv[1].inventory_item_id,
                          wrap=lambda pv: InventoryItemView(ctx, *pv), all_items=all_items)

    def locations(self, info=None, all_items=False, **args) -> dict:
        self._ctx.require("Location", "locations")
        include_inactive = args.get("includeInactive", False)
        items = [loc for loc in self._ctx.shop.locations.values() if include_inactive or loc.is_active]
        sort = {"ID": lambda loc: loc.id}.get(args.get("sortKey"), lambda loc: loc.name)
        return connection(items, args, key=sort, ident=lambda loc: loc.id, wrap=LocationView, all_items=all_items)

    def node(self, info=None, id=None):
        return self._lookup(id, "node")

    def nodes(self, info=None, ids=()):
        if len(ids) > 250:
            raise GraphQLError("The input array size of 251 is greater than the maximum allowed of 250.")
        return [self._lookup(value, "nodes") for value in ids]

    def product(self, info=None, id=None):
        return self._typed(id, "Product", "product")

    def productVariant(self, info=None, id=None):
        return self._typed(id, "ProductVariant", "productVariant")

    def inventoryItem(self, info=None, id=None):
        return self._typed(id, "InventoryItem", "inventoryItem")

    def location(self, info=None, id=None):
        return self._typed(id, "Location", "location")

    def _typed(self, value, kind, field):
        self._ctx.require(kind, field)
        found = self._lookup(value, field)
        return found if found is not None and found.typename == kind else None

    def _lookup(self, value, field):
        parsed = parse_gid(value or "")
        if parsed is None:
            raise GraphQLError(f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"})
        kind, number = parsed
        if kind in SCOPE_OF:
            self._ctx.require(kind, field)
        shop, ctx = self._ctx.shop, self._ctx
        if kind == "Product" and number in shop.products:
            return ProductView(ctx, shop.products[number])
        if kind == "ProductVariant" and (found := shop.variant(number)):
            return VariantView(ctx, *found)
        if kind == "InventoryItem" and (found := shop.variant_by_inventory_item(number)):
            return InventoryItemView(ctx, *found)
        if kind == "Location" and number in shop.locations:
            return LocationView(shop.locations[number])
        if kind == "WebhookSubscription" and number in shop.subscriptions:
            return SubscriptionView(shop.subscriptions[number], ctx.api_version)
        if kind == "BulkOperation" and number in shop.bulk_operations:
            return BulkOperationView(shop.bulk_operations[number])
        return None

    # -- shop, webhooks, bulk ----------------------------------------------------------------
    @property
    def shop(self) -> dict:
        shop = self._ctx.shop
        return {
            "id": gid("Shop", shop.id), "name": shop.name, "currencyCode": shop.currency_code,
            "myshopifyDomain": shop.domain, "email": f"owner@{shop.domain}", "contactEmail": f"owner@{shop.domain}",
            "ianaTimezone": "UTC", "timezoneAbbreviation": "UTC",
            "primaryDomain": {"host": shop.domain, "url": f"https://{shop.domain}", "id": gid("Domain", shop.id)},
            "url": f"https://{shop.domain}",
        }

    def webhookSubscriptions(self, info=None, all_items=False, **args) -> dict:
        topics = set(args.get("topics") or ())
        uri = args.get("uri") or args.get("callbackUrl")
        items = [s for s in self._ctx.shop.subscriptions.values()
                 if (not topics or s.topic in topics) and (not uri or s.uri == uri)]
        return connection(items, args, key=lambda s: s.id, ident=lambda s: s.id,
                          wrap=lambda s: SubscriptionView(s, self._ctx.api_version), all_items=all_items)

    def webhookSubscription(self, info=None, id=None):
        return self._typed(id, "WebhookSubscription")

    def currentBulkOperation(self, info=None, type="QUERY"):
        operations = [op for op in self._ctx.shop.bulk_operations.values()]
        if type != "QUERY" or not operations:
            return None
        return BulkOperationView(max(operations, key=lambda op: op.id))

    def bulkOperation(self, info=None, id=None):
        return self._typed(id, "BulkOperation")
