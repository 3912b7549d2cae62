"""Small generated SVG placeholders standing in for product images."""
from __future__ import annotations

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
