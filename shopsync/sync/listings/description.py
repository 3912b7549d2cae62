"""A Shopify description reduced to HTML TikTok accepts, its images hosted by TikTok, within its length limit.

nh3 (a maintained sanitizer) does the cleaning and always returns well-formed HTML; the small
re-serializer below only walks that clean output to swap image sources and to cut whole blocks.
"""
from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Mapping

import nh3

MAX_LENGTH = 10_000
MAX_IMAGES = 30
MAX_IMAGE_SIDE = 4_000
ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "i", "em", "u", "ul", "ol", "li", "img", "h2", "h3", "h4",
                          "table", "thead", "tbody", "tr", "th", "td"})
_ATTRIBUTES = {"img": {"src", "alt"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_VOID = frozenset({"br", "img"})


def sanitize(html: str) -> str:
    """Only tags TikTok renders; scripts, styles, links, event handlers and comments are gone."""
    return nh3.clean(html or "", tags=set(ALLOWED_TAGS), attributes=_ATTRIBUTES, url_schemes={"https", "http"},
                     link_rel=None, strip_comments=True).strip()


class _Walk(HTMLParser):
    """Re-emits clean HTML, recording top-level block boundaries and image sources."""

    def __init__(self, hosted: Mapping[str, tuple[str, int, int]] | None = None):
        super().__init__(convert_charrefs=True)
        self.hosted = hosted
        self.out: list[str] = []
        self.depth = 0
        self.block_ends: list[int] = []  # length of out after each top-level element
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.sources.append(attributes.get("src") or "")
            if self.hosted is not None:
                found = self.hosted.get(attributes.get("src") or "")
                if found is None:
                    return  # an image TikTok would not host is left out
                attributes = {"src": found[0], "width": str(found[1]), "height": str(found[2])}
        text = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in attributes.items())
        self.out.append(f"<{tag}{text}>")
        if tag in _VOID:
            self._maybe_end_block()
        else:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        self.out.append(f"</{tag}>")
        self.depth -= 1
        self._maybe_end_block()

    def handle_data(self, data):
        self.out.append(escape(data, quote=False))
        self._maybe_end_block()

    def _maybe_end_block(self):
        if self.depth == 0:
            self.block_ends.append(len(self.out))


def _walk(html: str, hosted=None) -> _Walk:
    walk = _Walk(hosted)
    walk.feed(html)
    walk.close()
    return walk


def image_sources(clean_html: str) -> list[str]:
    return [src for src in _walk(clean_html).sources if src]


def with_hosted_images(clean_html: str, hosted: Mapping[str, tuple[str, int, int]]) -> str:
    """Each image's source replaced by its TikTok URL, width and height (src -> (url, width, height))."""
    return "".join(_walk(clean_html, hosted).out)


def fit(clean_html: str, limit: int = MAX_LENGTH) -> tuple[str, bool]:
    """The description within `limit` characters, cut after the last whole block that fits; True if cut."""
    if len(clean_html) <= limit:
        return clean_html, False
    walk = _walk(clean_html)
    kept = ""
    for end in walk.block_ends:
        candidate = "".join(walk.out[:end])
        if len(candidate) > limit:
            break
        kept = candidate
    if kept.strip():
        return kept, True
    text = nh3.clean(clean_html, tags=set()).strip()  # one huge block: keep its text
    return f"<p>{escape(text[:limit - 10].rsplit(' ', 1)[0], quote=False)}</p>", True
