"""Shop-domain routing and the blueprint's own root URL, wherever it is mounted."""
from __future__ import annotations

import re

from flask import request, url_for
from werkzeug.routing import BaseConverter

SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com")
IMAGE_ENDPOINT = "placeholder_image"


class ShopConverter(BaseConverter):
    regex = SHOP_DOMAIN.pattern

    def to_python(self, value: str) -> str:
        return value.lower()


def local_root() -> str:
    """Path of the blueprint root including any script root, e.g. /sandbox/shopify."""
    marker = url_for(f"{request.blueprints[-1]}.{IMAGE_ENDPOINT}", image_id=0)
    return marker[: -len("/_images/0.svg")]


def absolute_root() -> str:
    return request.host_url.rstrip("/") + local_root()
