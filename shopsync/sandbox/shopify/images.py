"""Generated stand-ins for product images: SVG placeholders, and real PNG files for TikTok to judge."""
from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

_PALETTE = ("#5c6ac4", "#47c1bf", "#f49342", "#de3618", "#50b83c", "#9c6ade", "#eec200")


def placeholder_svg(image_id: int) -> str:
    color = _PALETTE[image_id % len(_PALETTE)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800" viewBox="0 0 800 800">'
        f'<rect width="800" height="800" fill="{color}"/>'
        '<circle cx="400" cy="330" r="150" fill="#fff" fill-opacity=".35"/>'
        f'<text x="400" y="640" font-family="sans-serif" font-size="44" text-anchor="middle" fill="#fff">'
        f'Image {image_id}</text></svg>'
    )


@lru_cache(maxsize=2048)
def placeholder_png(image_id: int, side: int = 800) -> bytes:
    """A product shot on a white background, as marketplaces want the first image."""
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    color = _PALETTE[image_id % len(_PALETTE)]
    draw.rounded_rectangle((side // 5, side // 5, 4 * side // 5, 4 * side // 5), radius=side // 10, fill=color)
    draw.ellipse((side // 3, side // 3, 2 * side // 3, 2 * side // 3), fill="white")
    draw.text((side // 2 - 40, side // 2 - 5), f"Image {image_id}", fill="black")  # every image its own bytes
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()
