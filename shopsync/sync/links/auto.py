"""Auto-linking: match Shopify variants to TikTok SKUs by seller SKU or barcode, preview, then apply.

The preview changes nothing. It lists the pairs it would link, the conflicts it
will not guess about (a code used twice on either side, a SKU already linked to
another variant), and what is left unmatched on each side. Applying takes the
pairs the merchant confirmed, checks they still match, and links them all or none.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Literal

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, ProductLink, TikTokSku, Variant
from .actions import LinkError, create_links

MatchBy = Literal["sku", "barcode"]


@dataclass(frozen=True)
class Match:
    variant_id: int
    sku_row_id: int
    key: str


@dataclass(frozen=True)
class Conflict:
    key: str
    reason: str
    variant_ids: tuple[int, ...]
    sku_row_ids: tuple[int, ...]


@dataclass
class LinkPreview:
    by: MatchBy
    matches: list[Match] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    already_linked: list[Match] = field(default_factory=list)
    unmatched_variant_ids: list[int] = field(default_factory=list)
    unmatched_sku_row_ids: list[int] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(m.variant_id, m.sku_row_id) for m in self.matches]


def normalize(code: str | None) -> str:
    """Codes match ignoring surrounding spaces and letter case ("ab-1 " is "AB-1")."""
    return (code or "").strip().casefold()


def preview_auto_link(tenant_id: int, tiktok_integration_id: int, by: MatchBy = "sku") -> LinkPreview:
    if by not in ("sku", "barcode"):
        raise LinkError("match by 'sku' or 'barcode'")
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None or integration.tenant_id != tenant_id or integration.platform != "tiktok":
        raise LinkError("that TikTok shop is not connected to your account")
    variant_code = Variant.sku if by == "sku" else Variant.barcode
    sku_code = TikTokSku.seller_sku if by == "sku" else TikTokSku.barcode
    variants = db.session.execute(select(Variant.id, variant_code).join(
        Integration, Integration.id == Variant.integration_id).where(
        Variant.tenant_id == tenant_id, Integration.status == "active")).all()
    skus = db.session.execute(select(TikTokSku.id, sku_code).where(
        TikTokSku.tenant_id == tenant_id, TikTokSku.integration_id == tiktok_integration_id)).all()
    linked_to = dict(db.session.execute(select(ProductLink.tiktok_sku_id, ProductLink.variant_id).where(
        ProductLink.tenant_id == tenant_id, ProductLink.tiktok_integration_id == tiktok_integration_id)).all())

    linked_variants = set(linked_to.values())
    variants_by_code: dict[str, list[int]] = defaultdict(list)
    skus_by_code: dict[str, list[int]] = defaultdict(list)
    preview = LinkPreview(by=by)
    for variant_id, code in variants:
        if normalize(code):
            variants_by_code[normalize(code)].append(variant_id)
        elif variant_id not in linked_variants:
            preview.unmatched_variant_ids.append(variant_id)
    for sku_row_id, code in skus:
        if normalize(code):
            skus_by_code[normalize(code)].append(sku_row_id)
        elif sku_row_id not in linked_to:
            preview.unmatched_sku_row_ids.append(sku_row_id)

    for code in sorted(set(variants_by_code) | set(skus_by_code)):
        on_shopify, on_tiktok = variants_by_code.get(code, []), skus_by_code.get(code, [])
        if not on_tiktok:
            preview.unmatched_variant_ids.extend(v for v in on_shopify if v not in linked_variants)
        elif not on_shopify:
            preview.unmatched_sku_row_ids.extend(s for s in on_tiktok if s not in linked_to)
        elif len(on_shopify) > 1 or len(on_tiktok) > 1:
            side = "Shopify variants" if len(on_shopify) > 1 else "TikTok SKUs"
            preview.conflicts.append(Conflict(code, f"{len(on_shopify) if len(on_shopify) > 1 else len(on_tiktok)} "
                                              f"{side} share this code", tuple(on_shopify), tuple(on_tiktok)))
        else:
            match = Match(on_shopify[0], on_tiktok[0], code)
            linked_variant = linked_to.get(match.sku_row_id)
            if linked_variant == match.variant_id:
                preview.already_linked.append(match)
            elif linked_variant is not None:
                preview.conflicts.append(Conflict(code, "the TikTok SKU is already linked to another variant",
                                                  (match.variant_id,), (match.sku_row_id,)))
            else:
                preview.matches.append(match)
    preview.unmatched_variant_ids.sort()
    preview.unmatched_sku_row_ids.sort()
    return preview


def apply_auto_link(tenant_id: int, tiktok_integration_id: int, by: MatchBy,
                    confirmed: Iterable[tuple[int, int]], settings: dict | None = None) -> list[int]:
    """Link the confirmed pairs, all or none; refuses pairs that no longer match (the catalog moved on)."""
    confirmed = [(int(v), int(s)) for v, s in confirmed]
    still = set(preview_auto_link(tenant_id, tiktok_integration_id, by).pairs)
    stale = [pair for pair in confirmed if pair not in still]
    if stale:
        raise LinkError(f"{len(stale)} of the confirmed matches changed since the preview; preview again")
    return create_links(tenant_id, confirmed, settings) if confirmed else []
