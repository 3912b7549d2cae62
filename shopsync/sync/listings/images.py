"""Product and description images: downloaded from Shopify, checked against TikTok's rules, uploaded once.

An image is known by the hash of the bytes sent to TikTok; the same image on many products (or a
product published again) is uploaded once per shop and its TikTok URI reused.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import requests
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from ...extensions import db
from ...models import ListingImage, utcnow
from ...platforms.http import DEFAULT_TIMEOUT, PermanentError
from ...platforms.tiktok import listings as tiktok_listings
from ..sql import dialect_insert
from .problems import DESCRIPTION, IMAGES, Problem

MAIN_IMAGE, DESCRIPTION_IMAGE = "MAIN_IMAGE", "DESCRIPTION_IMAGE"
MAX_MAIN_IMAGES = 9
MAX_BYTES = 5 * 1024 * 1024  # TikTok's older limit; the newer 10 MB is not everywhere yet
MAX_DOWNLOAD = 40 * 1024 * 1024
TIKTOK_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP"})
SIDES = {MAIN_IMAGE: (300, 4_000), DESCRIPTION_IMAGE: (100, 4_000)}
Image.MAX_IMAGE_PIXELS = 20_000 * 20_000


class ImageRefused(Exception):
    """An image TikTok would not take, with why in the merchant's words."""


@dataclass(frozen=True)
class Hosted:
    uri: str
    url: str
    width: int
    height: int


def prepared(content: bytes, use_case: str) -> bytes:
    """The bytes to send: as they are when TikTok takes them, else converted or scaled down to fit.

    Raises ImageRefused when no conversion helps (not an image, or too small).
    """
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            kind, (width, height) = image.format or "", image.size
            low, high = SIDES[use_case]
            if min(width, height) < low:
                raise ImageRefused(f"it is {width}x{height} pixels; TikTok needs at least {low} pixels on each side")
            if kind in TIKTOK_FORMATS and max(width, height) <= high and len(content) <= MAX_BYTES:
                return content
            return _converted(image, high)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageRefused):
            raise
        raise ImageRefused("it is not an image file TikTok can read (use JPG, PNG or WEBP)") from None


def _converted(image: Image.Image, high: int) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((high, high))
    for quality in (90, 80, 70):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    raise ImageRefused("it stays over TikTok's 5 MB limit even when compressed")


def download(session: requests.Session, url: str) -> bytes:
    """The image's bytes; raises ImageRefused when it cannot be fetched."""
    try:
        # No redirects: an image is fetched from the host it was checked for, nowhere else.
        with session.get(url, timeout=DEFAULT_TIMEOUT, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise ImageRefused(f"Shopify answered HTTP {response.status_code} for it")
            content = response.raw.read(MAX_DOWNLOAD + 1, decode_content=True)
    except requests.RequestException:
        raise ImageRefused("it could not be downloaded from Shopify") from None
    if len(content) > MAX_DOWNLOAD:
        raise ImageRefused("it is larger than 40 MB")
    return content


class ImageHost:
    """Uploads a shop's images once each; `upload` is the TikTok call (retried and refreshed by the caller)."""

    def __init__(self, tenant_id: int, tiktok_integration_id: int, session: requests.Session,
                 upload: Callable[[bytes, str], tiktok_listings.UploadedImage], allowed_hosts: frozenset[str]):
        self.tenant_id = tenant_id
        self.tiktok_integration_id = tiktok_integration_id
        self.session = session
        self.upload = upload
        self.allowed_hosts = allowed_hosts
        self.uploads = 0

    def host(self, url: str, use_case: str) -> Hosted:
        """Raises ImageRefused with the reason the merchant needs."""
        if urlsplit(url).hostname not in self.allowed_hosts:
            raise ImageRefused("it is not stored on Shopify; upload it to Shopify (Content → Files) and use that "
                               "link")
        content = prepared(download(self.session, url), use_case)
        digest = hashlib.sha256(content).hexdigest()
        known = self._known(digest, use_case)
        if known is not None:
            return known
        try:
            uploaded = self.upload(content, use_case)
        except PermanentError as refused:
            raise ImageRefused(f"TikTok refused it: {refused.message}") from None
        self.uploads += 1
        # Another worker may have uploaded the same image meanwhile: the first row stays, and is used.
        db.session.execute(dialect_insert(db.engine.dialect.name)(ListingImage).values(
            tenant_id=self.tenant_id, tiktok_integration_id=self.tiktok_integration_id, content_hash=digest,
            use_case=use_case, uri=uploaded.uri, url=uploaded.url, width=uploaded.width, height=uploaded.height,
            created_at=utcnow()).on_conflict_do_nothing(
            index_elements=["tiktok_integration_id", "content_hash", "use_case"]))
        return self._known(digest, use_case)

    def _known(self, digest: str, use_case: str) -> Hosted | None:
        row = db.session.execute(select(ListingImage).where(
            ListingImage.tiktok_integration_id == self.tiktok_integration_id,
            ListingImage.content_hash == digest, ListingImage.use_case == use_case)).scalar_one_or_none()
        return Hosted(row.uri, row.url, row.width, row.height) if row else None


def host_main_images(host: ImageHost, urls: list[tuple[int, str]]) -> tuple[list[Hosted], list[Problem]]:
    """Main images in Shopify's order (at most TikTok's 9); a problem for each one that can't be used."""
    hosted, problems = [], []
    if not urls:
        return [], [Problem(IMAGES, "The product has no images.", "Add at least one image to the product in "
                                                                   "Shopify.")]
    for position, url in urls[:MAX_MAIN_IMAGES]:
        try:
            hosted.append(host.host(url, MAIN_IMAGE))
        except ImageRefused as why:
            problems.append(Problem(IMAGES, f"Image {position} ({_name(url)}) can't be used: {why}.",
                                    "Replace or remove this image in Shopify."))
    return hosted, problems


def host_description_images(host: ImageHost, sources: list[str]) -> tuple[dict[str, tuple[str, int, int]],
                                                                          list[Problem]]:
    hosted, problems = {}, []
    for number, src in enumerate(dict.fromkeys(sources), 1):
        try:
            found = host.host(src, DESCRIPTION_IMAGE)
            hosted[src] = (found.url, found.width, found.height)
        except ImageRefused as why:
            problems.append(Problem(DESCRIPTION, f"Description image {number} ({_name(src)}) can't be used: {why}.",
                                    "Replace or remove this image in the product's description in Shopify."))
    return hosted, problems


def _name(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1][:80] or url[:80]
