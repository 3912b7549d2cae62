"""Images sent to the simulated `POST /product/202309/images/upload`: judged from their real bytes."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from shopsync.sandbox.tiktok.answers import Refused

MAX_BYTES = 5 * 1024 * 1024
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP"})
USE_CASES = frozenset({"MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE", "CERTIFICATION_IMAGE",
                       "SIZE_CHART_IMAGE", "CUSTOMIZATION_IMAGE"})
MIN_SIDE, MAX_SIDE = 100, 20_000
MAIN_MIN_SIDE, MAIN_MAX_SIDE = 300, 4_000
# Decoding a huge image to look at it would be a memory bomb; TikTok refuses past 20,000 px anyway.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE


@dataclass(frozen=True)
class Uploaded:
    uri: str
    width: int
    height: int
    use_case: str
    format: str
    white_background: bool
    data: bytes

    def as_json(self, url: str) -> dict:
        return {"uri": self.uri, "url": url, "width": self.width, "height": self.height, "use_case": self.use_case}


def inspect(data: bytes, use_case: str, region: str = "us") -> Uploaded:
    """The stored image, or TikTok's refusal (12038004/12038005/12038014/12038015, 11050001)."""
    if use_case not in USE_CASES:
        raise Refused(11050001, f"Invalid param: use_case must be one of {', '.join(sorted(USE_CASES))}")
    if not data:
        raise Refused(12038005, "The image file is empty")
    if len(data) > MAX_BYTES:
        raise Refused(12038005, f"The image is {len(data) / 1_048_576:.1f} MB; the limit is 5 MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format or "", image.size
            if kind not in FORMATS:
                raise Refused(12038015, f"Unsupported image format {kind or 'unknown'}: use JPG, PNG, WEBP or BMP")
            image.load()
            white = _white_corners(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise Refused(12038004, "The file is not an image TikTok can read") from None
    low, high = (MAIN_MIN_SIDE, MAIN_MAX_SIDE) if use_case == "MAIN_IMAGE" else (MIN_SIDE, MAX_SIDE)
    if not (low <= width <= high and low <= height <= high):
        raise Refused(12038014, f"The image is {width}x{height} px; {use_case} images must be {low}-{high} px "
                                "on each side")
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Uploaded(uri=f"tos-maliva-i-o3syd03w52-{region}/{digest}", width=width, height=height, use_case=use_case,
                    format=kind, white_background=white, data=data)


def _white_corners(image: Image.Image) -> bool:
    """TikTok wants a white background on the first main image; the corners tell well enough."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    corners = [rgb.getpixel((x, y)) for x in (0, width - 1) for y in (0, height - 1)]
    return all(min(pixel) >= 235 for pixel in corners)
