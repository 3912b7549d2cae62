"""Every route that takes an id of merchant data, for the tenant-isolation test.

Add a route here when you add it to the app: the isolation test fails for any
route with a URL parameter that is in neither list. Placeholders name the kind
of object whose id goes in: {integration} {tiktok_integration} {product} {variant}
{link} {run} {log} {api_key} {tiktok_sku} {user} {listing} {template} {order} {carrier_mapping}.
"""

# (method, path) pairs reached with another tenant's ids: each must answer 404 and change nothing.
TENANT_ROUTES: list[tuple[str, str]] = [
    ("GET", "/product-links/{link}"),
    ("POST", "/product-links/{link}/settings"),
    ("POST", "/product-links/{link}/dry-run"),
    ("POST", "/product-links/{link}/confirm-price"),
    ("POST", "/product-links/{link}/relink"),
    ("GET", "/sync-runs/{run}"),
    ("GET", "/api/product-links/{link}"),
    ("PATCH", "/api/product-links/{link}"),
    ("DELETE", "/api/product-links/{link}"),
    ("POST", "/api/product-links/{link}/sync"),
    ("GET", "/api/sync-runs/{run}"),
    ("POST", "/settings/api-keys/{api_key}/revoke"),
    ("POST", "/settings/people/{user}/remove"),
    ("POST", "/settings/people/{user}/restore"),
    ("POST", "/integrations/{tiktok_integration}/disconnect"),
    ("POST", "/integrations/{tiktok_integration}/import-tiktok"),
    ("GET", "/integrations/{tiktok_integration}/defaults"),
    ("POST", "/integrations/{tiktok_integration}/defaults"),
    ("GET", "/integrations/{tiktok_integration}/warehouses"),
    ("POST", "/integrations/{tiktok_integration}/warehouses"),
    ("GET", "/listings/{listing}"),
    ("POST", "/listings/{listing}/choices"),
    ("POST", "/listings/{listing}/check"),
    ("GET", "/listings/shops/{tiktok_integration}"),
    ("POST", "/listings/shops/{tiktok_integration}/readiness"),
    ("POST", "/listings/shops/{tiktok_integration}/settings"),
    ("POST", "/listings/shops/{tiktok_integration}/templates"),
    ("GET", "/listings/shops/{tiktok_integration}/categories"),
    ("POST", "/listings/templates/{template}/delete"),
    ("GET", "/orders/{order}"),
    ("POST", "/orders/{order}/retry"),
    ("GET", "/integrations/{tiktok_integration}/orders"),
    ("POST", "/integrations/{tiktok_integration}/orders"),
    ("POST", "/integrations/{tiktok_integration}/carriers"),
    ("POST", "/integrations/{tiktok_integration}/carriers/{carrier_mapping}/delete"),
    ("POST", "/integrations/{tiktok_integration}/orders/import"),
    ("GET", "/api/orders/{order}"),
    ("POST", "/api/orders/{order}/retry"),
    # The live poll of an order's, a listing's and a publishing run's page (lists drop other tenants' ids: see the isolation test).
    ("GET", "/live?w=order:{order}"),
    ("GET", "/live?w=listing:{listing}"),
    ("GET", "/live?w=listing_run:{run}"),
]

# Pages listing merchant data: another tenant's names must never appear in them.
LIST_PAGES: list[str] = [
    "/",
    "/integrations",
    "/product-links",
    "/product-links?q=victim",
    "/product-links/pick/variants?q_variant=victim",
    "/product-links/pick/skus?q_sku=victim",
    "/product-links/export.csv",
    "/sync-logs",
    "/sync-logs?result=error",
    "/settings",
    "/live?w=dashboard&w=integrations",
    "/api/integrations",
    "/api/products",
    "/api/products?search=victim",
    "/api/product-links",
    "/api/sync-logs",
    "/api/sync-logs?result=error",
    "/listings",
    "/listings?state=failed",
    "/listings/new",
    "/listings/new?q=victim",
    "/api/listings",
    "/api/listings?state=failed",
    "/orders",
    "/orders?q=victim",
    "/api/orders",
]

# Routes with URL parameters that carry no merchant data ids (endpoint names).
NOT_TENANT_DATA = {
    "static",
    # Random preview tokens, looked up under the current tenant's own key (blueprints/stash.py).
    "link_setup.auto_preview_page",
    "link_setup.import_preview_page",
}
