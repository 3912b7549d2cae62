"""Links as CSV: export every mapping with its settings, import a file back with a preview.

Import is all or nothing: every row is checked first (unknown variant or SKU,
a SKU twice, a SKU linked to another variant, a setting that is not valid) and
nothing is saved while any row has an error. A row for an existing link updates
its settings; a row for a new pair creates the link.

Exported cells that a spreadsheet would run as a formula get a leading
apostrophe; import takes it off again.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Integration, ProductLink, TikTokProduct, TikTokSku, Variant, utcnow
from ...models.links import PENDING
from ..pushes.dirty import mark_links_dirty
from .actions import LinkError
from ..pushes.rules import SETTING_NAMES, SettingsError, clean_settings

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
IDENTITY = ("shopify_variant_id", "shopify_sku", "tiktok_product_id", "tiktok_sku_id", "seller_sku")
COLUMNS = IDENTITY + SETTING_NAMES + ("paused",)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _restore(text: str) -> str:
    text = text.strip() if not text.startswith(("'\t", "'\r")) else text
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def export_rows(tenant_id: int, link_ids: list[int] | None = None) -> Iterator[str]:
    """The CSV text, a chunk of rows at a time (header first), for streaming large exports."""
    query = (select(ProductLink, Variant.shopify_id, Variant.sku, TikTokProduct.tiktok_id, TikTokSku.tiktok_id,
                    TikTokSku.seller_sku)
             .join(Variant, Variant.id == ProductLink.variant_id)
             .join(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
             .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
             .where(ProductLink.tenant_id == tenant_id).order_by(ProductLink.id)
             .execution_options(yield_per=1000))
    if link_ids is not None:
        query = query.where(ProductLink.id.in_(list(link_ids)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for count, (link, variant_id, variant_sku, product_id, sku_id, seller_sku) in enumerate(
            db.session.execute(query), start=1):
        settings = [_cell(getattr(link, name)) for name in SETTING_NAMES]
        writer.writerow([neutralize(v) for v in (variant_id, variant_sku, product_id, sku_id, seller_sku,
                                                 *settings, "yes" if link.paused else "no")])
        if count % 1000 == 0:
            yield _drain(out)
    yield _drain(out)


def export_csv(tenant_id: int, link_ids: list[int] | None = None) -> str:
    return "".join(export_rows(tenant_id, link_ids))


def _drain(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


@dataclass
class CsvRow:
    line: int
    label: str = ""
    variant_id: int | None = None
    sku_row_id: int | None = None
    link_id: int | None = None  # set when the row changes an existing link
    settings: dict = field(default_factory=dict)
    paused: bool | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class CsvPreview:
    problem: str | None = None  # about the file as a whole
    creates: list[CsvRow] = field(default_factory=list)
    updates: list[CsvRow] = field(default_factory=list)
    errors: list[CsvRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.errors


def preview(tenant_id: int, text: str) -> CsvPreview:
    """Check a CSV of links against the tenant's catalog; saves nothing."""
    result = CsvPreview()
    if len(text.encode("utf-8")) > MAX_BYTES:
        result.problem = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."
        return result
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _read(tenant_id, reader, result)
    except csv.Error as error:  # a cell over csv.field_size_limit() (131,072 characters)
        result.problem = f"The file could not be read as CSV at line {reader.line_num}: {_csv_problem(error)}."
        return result


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return text[:200]


def _read(tenant_id: int, reader: csv.DictReader, result: CsvPreview) -> CsvPreview:
    columns = set(reader.fieldnames or [])
    if not columns & {"shopify_variant_id", "shopify_sku"} or not columns & {"tiktok_sku_id", "seller_sku"}:
        result.problem = "The header needs shopify_variant_id or shopify_sku, and tiktok_sku_id or seller_sku."
        return result
    unknown = columns - set(COLUMNS)
    if unknown:
        result.problem = "Unknown columns: " + ", ".join(sorted(unknown)) + "."
        return result
    records = []
    for record in reader:
        if len(records) >= MAX_ROWS:
            result.problem = f"The file has more than {MAX_ROWS} rows; split it."
            return result
        records.append((reader.line_num, {k: _restore(v or "") for k, v in record.items() if k}))
    for row in _check_rows(tenant_id, records):
        (result.errors if row.errors else result.updates if row.link_id else result.creates).append(row)
    return result


def _check_rows(tenant_id: int, records) -> list[CsvRow]:
    variants_by_id, variants_by_sku = {}, {}
    for variant_id, shopify_id, sku in db.session.execute(
            select(Variant.id, Variant.shopify_id, Variant.sku).join(Integration, Integration.id == Variant.integration_id)
            .where(Variant.tenant_id == tenant_id, Integration.status == "active")):
        variants_by_id[str(shopify_id)] = [variant_id]
        if sku:
            variants_by_sku.setdefault(sku.strip(), []).append(variant_id)
    skus_by_id, skus_by_seller = {}, {}
    for row_id, tiktok_id, seller_sku in db.session.execute(
            select(TikTokSku.id, TikTokSku.tiktok_id, TikTokSku.seller_sku).where(TikTokSku.tenant_id == tenant_id)):
        skus_by_id.setdefault(tiktok_id, []).append(row_id)
        if seller_sku:
            skus_by_seller.setdefault(seller_sku.strip(), []).append(row_id)
    links = {sku_row: (link_id, variant_id) for link_id, sku_row, variant_id in db.session.execute(
        select(ProductLink.id, ProductLink.tiktok_sku_id, ProductLink.variant_id).where(
            ProductLink.tenant_id == tenant_id))}
    seen: dict[int, int] = {}
    rows = []
    for line, record in records:
        row = CsvRow(line, label=" / ".join(filter(None, (record.get("shopify_sku") or record.get("shopify_variant_id"),
                                                          record.get("seller_sku") or record.get("tiktok_sku_id")))))
        row.variant_id = _one(record, "shopify_variant_id", variants_by_id, "shopify_sku", variants_by_sku,
                              "Shopify variant", row.errors)
        row.sku_row_id = _one(record, "tiktok_sku_id", skus_by_id, "seller_sku", skus_by_seller, "TikTok SKU",
                              row.errors)
        try:
            row.settings = clean_settings({k: record[k] for k in SETTING_NAMES if k in record})
        except SettingsError as error:
            row.errors.extend(f"{name}: {message}" for name, message in error.errors.items())
        if record.get("paused"):
            try:
                row.paused = clean_settings({"sync_price": record["paused"]})["sync_price"]
            except SettingsError:
                row.errors.append("paused: must be yes or no")
        if row.sku_row_id is not None:
            if row.sku_row_id in seen:
                row.errors.append(f"the same TikTok SKU is on line {seen[row.sku_row_id]} too")
            seen.setdefault(row.sku_row_id, line)
            existing = links.get(row.sku_row_id)
            if existing and row.variant_id is not None and existing[1] != row.variant_id:
                row.errors.append("the TikTok SKU is already linked to another variant")
            elif existing:
                row.link_id = existing[0]
        rows.append(row)
    return rows


def _one(record, id_column, by_id, code_column, by_code, label, errors) -> int | None:
    """The row id named by the id column, else by the (unique) SKU column."""
    if record.get(id_column):
        found = by_id.get(record[id_column].strip(), [])
        what = f"{label} id {record[id_column][:40]}"
    else:
        code = (record.get(code_column) or "").strip()
        if not code:
            errors.append(f"no {label} given ({id_column} or {code_column})")
            return None
        found = by_code.get(code, [])
        what = f"{label} SKU {code[:40]}"
    if len(found) != 1:
        errors.append(f"unknown {what}" if not found else f"{what} is ambiguous ({len(found)} share it; use {id_column})")
        return None
    return found[0]


def apply(tenant_id: int, checked: CsvPreview) -> tuple[int, int]:
    """Save a checked preview in one transaction; returns (links created, links changed).

    All or nothing: raises LinkError, saving nothing, when the file or any row has an error.
    """
    if not checked.ok:
        raise LinkError(checked.problem or f"{len(checked.errors)} row(s) have errors, so nothing was saved")
    variant_shops = dict(db.session.execute(select(Variant.id, Variant.integration_id).where(
        Variant.id.in_([row.variant_id for row in checked.creates]))).all()) if checked.creates else {}
    sku_shops = dict(db.session.execute(select(TikTokSku.id, TikTokSku.integration_id).where(
        TikTokSku.id.in_([row.sku_row_id for row in checked.creates]))).all()) if checked.creates else {}
    try:
        shops = _write(tenant_id, checked, variant_shops, sku_shops)
    except IntegrityError:  # one of these SKUs was linked meanwhile (by hand, or this file confirmed twice)
        db.session.rollback()
        raise LinkError("one of these TikTok SKUs was linked in the meantime, so nothing was saved; "
                        "check the file again") from None
    from ...jobs.pushes import request_flush

    for shop in sorted(shops | set(sku_shops.values())):
        request_flush(shop, "manual")
    return len(checked.creates), len(checked.updates)


def _write(tenant_id: int, checked: CsvPreview, variant_shops: dict, sku_shops: dict) -> set[int]:
    """Insert and update the links of a checked preview and commit; returns the TikTok shops to flush."""
    now = utcnow()
    if checked.creates:
        db.session.execute(insert(ProductLink), [
            {"tenant_id": tenant_id, "variant_id": row.variant_id, "tiktok_sku_id": row.sku_row_id,
             "shopify_integration_id": variant_shops[row.variant_id],
             "tiktok_integration_id": sku_shops[row.sku_row_id], "state": PENDING, "dirty": True, "change_seq": 0,
             "paused": bool(row.paused), "created_at": now, "updated_at": now,
             **{name: row.settings.get(name) for name in SETTING_NAMES}} for row in checked.creates])
    for row in checked.updates:
        values = {name: row.settings.get(name) for name in SETTING_NAMES}
        if row.paused is not None:
            values["paused"] = row.paused
        db.session.execute(update(ProductLink).where(ProductLink.id == row.link_id).values(updated_at=now, **values),
                           execution_options={"synchronize_session": False})
    shops = mark_links_dirty(tenant_id, [row.link_id for row in checked.updates])
    db.session.commit()
    return shops
