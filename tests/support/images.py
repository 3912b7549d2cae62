"""Real image bytes for tests: made with Pillow, so the sandbox judges what TikTok would."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw


def image_bytes(width: int = 800, height: int = 800, fmt: str = "PNG", background: str = "white",
                mark: str = "#5c6ac4") -> bytes:
    image = Image.new("RGB", (width, height), background)
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=mark)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
