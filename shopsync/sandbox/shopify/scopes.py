"""What a Shopify grant allows, as the sandbox enforces it (its own rule, not the client's)."""
from __future__ import annotations


def allowed_scopes(granted: str) -> frozenset[str]:
    """The comma-separated grant, with each write_x also allowing read_x, as Shopify collapses them."""
    named = {part.strip() for part in (granted or "").split(",") if part.strip()}
    return frozenset(named | {"read_" + scope.removeprefix("write_") for scope in named
                              if scope.startswith("write_")})
