"""Writing one store's Shopify catalog rows: set-based upserts, the newest Shopify change wins.

Rows go into temporary staging tables first (COPY on PostgreSQL, executemany on
SQLite), then one INSERT ... SELECT ... ON CONFLICT DO UPDATE per table moves
them into place. Children find their parent's row id by joining on the Shopify
id, so rows of one batch never wait for ids from the database. An update only
happens when the incoming row is at least as new as the stored one (Shopify's
updated_at) and actually differs; what changed comes back through RETURNING.
Shopify's times have whole seconds, so webhooks and imports write only strictly
newer rows and learn which stored rows have the incoming time but other values
(`Upserted.in_doubt`): for those, which change came last cannot be told from the
rows, and the caller reads Shopify back. Only a read back writes "at least as new".

A full import also records every Shopify id it saw in "seen" temp tables (on
its own connection), so rows Shopify no longer has can be swept afterwards
without holding the catalog in memory.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text, and_, delete, exists,
                        false, func, literal, null, or_, select, true)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

from ...models import DeletedProduct, Image, InventoryLevel, Location, Product, Variant
from ...models._types import Money, UTCDateTime, utcnow
from ...platforms.shopify.catalog import ImageRow, InventoryLevelRow, LocationRow, ProductRow, VariantRow
from ..links.orphans import Orphaned, orphan_variant_links
from ..sql import dialect_insert

_temp = MetaData()


class Upserted(NamedTuple):
    written: Collection  # rows written: new, or newer and different
    # Strictly newer writes only: stored rows with the incoming row's Shopify time but other values. Two
    # changes fell in one second, and which came last cannot be told from the rows.
    in_doubt: list


def _stage(name: str, *columns: Column) -> Table:
    return Table(name, _temp, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")


def _seen(name: str, *columns: Column) -> Table:
    return Table(name, _temp, *columns, prefixes=["TEMPORARY"])


STAGE_PRODUCTS = _stage(
    "stage_products", Column("shopify_id", BigInteger), Column("title", String(512)), Column("handle", String(512)),
    Column("status", String(20)), Column("vendor", String(255)), Column("product_type", String(255)),
    Column("shopify_updated_at", UTCDateTime))
STAGE_VARIANTS = _stage(
    "stage_variants", Column("shopify_id", BigInteger), Column("product_shopify_id", BigInteger),
    Column("title", String(512)), Column("sku", String(255)), Column("barcode", String(255)), Column("price", Money),
    Column("compare_at_price", Money), Column("inventory_item_id", BigInteger),
    Column("inventory_quantity", Integer), Column("position", Integer), Column("inventory_tracked", Boolean),
    Column("inventory_policy", String(10)), Column("shopify_updated_at", UTCDateTime))
STAGE_IMAGES = _stage(
    "stage_images", Column("shopify_id", BigInteger), Column("product_shopify_id", BigInteger),
    Column("url", Text), Column("alt", String(512)), Column("position", Integer))
STAGE_LEVELS = _stage(
    "stage_levels", Column("inventory_item_id", BigInteger), Column("location_id", BigInteger),
    Column("available", Integer), Column("shopify_updated_at", UTCDateTime))
SEEN_PRODUCTS = _seen("seen_products", Column("shopify_id", BigInteger, primary_key=True))
SEEN_VARIANTS = _seen("seen_variants", Column("shopify_id", BigInteger, primary_key=True))
SEEN_IMAGES = _seen("seen_images", Column("shopify_id", BigInteger, primary_key=True))
SEEN_LEVELS = _seen("seen_levels", Column("inventory_item_id", BigInteger, primary_key=True),
                    Column("location_id", BigInteger, primary_key=True))
_STAGES = (STAGE_PRODUCTS, STAGE_VARIANTS, STAGE_IMAGES, STAGE_LEVELS)
_SEEN = (SEEN_PRODUCTS, SEEN_VARIANTS, SEEN_IMAGES, SEEN_LEVELS)


def _product_tuple(row: ProductRow) -> tuple:
    return (row.id, row.title, row.handle, row.status, row.vendor, row.product_type, row.updated_at)


def _variant_tuple(row: VariantRow) -> tuple:
    return (row.id, row.product_id, row.title or "", row.sku, row.barcode, row.price, row.compare_at_price,
            row.inventory_item_id, row.inventory_quantity, row.position or 1, row.inventory_tracked,
            row.inventory_policy, row.updated_at)


def _image_tuple(row: ImageRow) -> tuple:
    return (row.id, row.product_id, row.url, row.alt, row.position)


def _level_tuple(row: InventoryLevelRow) -> tuple:
    return (row.inventory_item_id, row.location_id, row.available, row.updated_at)


def _newer(table: Table, excluded, strictly: bool) -> object:
    """The incoming row is at least as new (strictly: newer) as the stored one, or one of them carries no time."""
    stored, incoming = table.c.shopify_updated_at, excluded.shopify_updated_at
    return or_(stored.is_(None), incoming.is_(None), incoming > stored if strictly else incoming >= stored)


def _incoming(table: Table, excluded, name: str):
    """The value a write would store: a source that does not carry a kept column leaves it as it is."""
    return func.coalesce(excluded[name], table.c[name]) if name in _KEPT_WHEN_MISSING else excluded[name]


def _differs(table: Table, excluded, names: Iterable[str]) -> object:
    return or_(*(table.c[name].is_distinct_from(_incoming(table, excluded, name)) for name in names))


_PRODUCT_VALUES = ["title", "handle", "status", "vendor", "product_type"]
_VARIANT_VALUES = ["title", "sku", "barcode", "price", "compare_at_price", "inventory_item_id", "inventory_quantity",
                   "position", "inventory_tracked", "inventory_policy"]
# Product webhooks do not say whether Shopify tracks a variant's stock; only reads that do may change it.
_KEPT_WHEN_MISSING = frozenset({"inventory_tracked", "inventory_policy"})
_LEVEL_VALUES = ["available"]


class CatalogWriter:
    """Upserts for one Shopify integration on one connection; the caller commits."""

    def __init__(self, conn: Connection, tenant_id: int, integration_id: int, *, track_seen: bool = False):
        self.conn = conn
        self.tenant_id = tenant_id
        self.integration_id = integration_id
        self.track_seen = track_seen
        self.orphaned: list[Orphaned] = []  # links whose variant this writer deleted; report them after commit
        self._postgres = conn.dialect.name == "postgresql"
        self._insert = dialect_insert(conn.dialect.name)
        for table in _STAGES + (_SEEN if track_seen else ()):
            conn.execute(CreateTable(table, if_not_exists=True))
        if track_seen:  # a pooled connection may still hold an earlier import's marks
            for table in _SEEN:
                conn.execute(delete(table))

    # -- staging -------------------------------------------------------------------------------
    def _stage_rows(self, stage: Table, tuples: list[tuple]) -> None:
        if self._postgres:
            names = ", ".join(column.name for column in stage.columns)
            cursor = self.conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {stage.name} ({names}) FROM STDIN") as copy:
                for values in tuples:
                    copy.write_row(values)
        else:
            keys = [column.name for column in stage.columns]
            self.conn.execute(stage.insert(), [dict(zip(keys, values)) for values in tuples])

    def _mark_seen(self, seen: Table, stage: Table) -> None:
        if not self.track_seen:
            return
        keys = [column.name for column in seen.columns]
        statement = self._insert(seen).from_select(keys, select(*(stage.c[k] for k in keys)).where(true()))
        self.conn.execute(statement.on_conflict_do_nothing())

    def _clear(self, stage: Table) -> None:
        # Several batches can share one transaction, so each empties its staging table when done.
        self.conn.execute(delete(stage))

    # -- upserts -------------------------------------------------------------------------------
    def _upsert(self, stage: Table, seen: Table, tuples: list[tuple], *, table: Table, keys: list[str],
                columns: list[str], conflict: list[str], returning, newer: bool = True, with_product: bool = False,
                unless=false(), strictly_newer: bool = False, doubt=None) -> Upserted:
        """Stage `tuples`, then move them into `table` where new, or newer and different.

        `keys` are staging columns copied as they are; `with_product` puts the parent's
        row id (found by its Shopify id) in product_id; the integration id is added
        when the table has one; staged rows matching `unless` are left out. A strictly
        newer write also returns `doubt` (a staged column) for the staged rows whose
        stored row has their Shopify time but other values, asked while they are staged.
        """
        self._stage_rows(stage, tuples)
        owner = [self._literal(self.tenant_id)]
        names = ["tenant_id"]
        if "integration_id" in table.c:
            owner.append(self._literal(self.integration_id))
            names.append("integration_id")
        source = select(*owner)
        if with_product:
            products = Product.__table__
            source = source.add_columns(products.c.id).select_from(stage.join(products, and_(
                products.c.integration_id == self.integration_id,
                products.c.shopify_id == stage.c.product_shopify_id)))
            names.append("product_id")
        source = source.add_columns(*(stage.c[name] for name in keys + columns)).where(~unless)
        statement = self._insert(table).from_select(names + keys + columns, source)
        changing = (["product_id"] if with_product and "integration_id" in table.c else []) + columns
        condition = _differs(table, statement.excluded, changing)
        updates = {name: _incoming(table, statement.excluded, name) for name in changing}
        if "read_back_at" in table.c:  # new values: what was read back no longer describes the row
            updates["read_back_at"] = null()
        statement = statement.on_conflict_do_update(
            index_elements=conflict, set_=updates,
            where=and_(_newer(table, statement.excluded, strictly_newer), condition) if newer else condition)
        written = list(self.conn.execute(statement.returning(returning)).scalars())
        in_doubt = []
        if strictly_newer and len(written) < len(tuples):  # a row written is not in doubt (a first import's are all)
            same_time = and_(table.c.integration_id == self.integration_id,
                             table.c.shopify_updated_at == stage.c.shopify_updated_at,
                             *(table.c[key] == stage.c[key] for key in keys))
            values = [name for name in columns if name != "shopify_updated_at"]
            in_doubt = list(self.conn.execute(select(doubt).select_from(stage.join(table, same_time))
                                              .where(_differs(table, stage.c, values))).scalars())
        self._mark_seen(seen, stage)
        self._clear(stage)
        return Upserted(written, in_doubt)

    def products(self, rows: Iterable[ProductRow], *, strictly_newer: bool = False) -> Upserted:
        """Upsert products; written: the Shopify ids written (new, or newer and different), as a set;
        in_doubt: Shopify ids."""
        tuples = list({row.id: _product_tuple(row) for row in rows}.values())
        if not tuples:
            return Upserted(set(), [])
        table = Product.__table__
        written, in_doubt = self._upsert(
            STAGE_PRODUCTS, SEEN_PRODUCTS, tuples, table=table, keys=["shopify_id"],
            columns=_PRODUCT_VALUES + ["shopify_updated_at"], conflict=["integration_id", "shopify_id"],
            returning=table.c.shopify_id, unless=self._deleted(STAGE_PRODUCTS.c.shopify_id),
            strictly_newer=strictly_newer, doubt=STAGE_PRODUCTS.c.shopify_id)
        return Upserted(set(written), in_doubt)

    def variants(self, rows: Iterable[VariantRow], *, strictly_newer: bool = False) -> Upserted:
        """Upsert variants of products already stored; written: variant row ids; in_doubt: the Shopify ids
        of their products (a product is read back whole)."""
        tuples = list({row.id: _variant_tuple(row) for row in rows}.values())
        if not tuples:
            return Upserted([], [])
        table = Variant.__table__
        return self._upsert(
            STAGE_VARIANTS, SEEN_VARIANTS, tuples, table=table, keys=["shopify_id"],
            columns=_VARIANT_VALUES + ["shopify_updated_at"], conflict=["integration_id", "shopify_id"],
            returning=table.c.id, with_product=True, strictly_newer=strictly_newer,
            doubt=STAGE_VARIANTS.c.product_shopify_id)

    def images(self, rows: Iterable[ImageRow]) -> None:
        """Images carry no Shopify time: the newest write wins."""
        tuples = list({row.id: _image_tuple(row) for row in rows}.values())
        if tuples:
            table = Image.__table__
            self._upsert(STAGE_IMAGES, SEEN_IMAGES, tuples, table=table, keys=["shopify_id"],
                         columns=["url", "alt", "position"], conflict=["product_id", "shopify_id"],
                         returning=table.c.id, newer=False, with_product=True)

    def levels(self, rows: Iterable[InventoryLevelRow], *, strictly_newer: bool = False) -> Upserted:
        """Upsert stock levels; written and in_doubt: inventory item ids.

        Untracked items report no `available`; they keep no level row.
        """
        tuples = self._level_tuples(rows)
        if not tuples:
            return Upserted([], [])
        table = InventoryLevel.__table__
        return self._upsert(
            STAGE_LEVELS, SEEN_LEVELS, tuples, table=table, keys=["inventory_item_id", "location_id"],
            columns=_LEVEL_VALUES + ["shopify_updated_at"],
            conflict=["integration_id", "inventory_item_id", "location_id"], returning=table.c.inventory_item_id,
            strictly_newer=strictly_newer, doubt=STAGE_LEVELS.c.inventory_item_id)

    @staticmethod
    def _level_tuples(rows: Iterable[InventoryLevelRow]) -> list[tuple]:
        return list({(row.inventory_item_id, row.location_id): _level_tuple(row)
                     for row in rows if row.available is not None}.values())

    def locations(self, rows: Iterable[LocationRow]) -> None:
        """Upsert every location and drop the ones Shopify no longer lists (there are few)."""
        table = Location.__table__
        values = [{"tenant_id": self.tenant_id, "integration_id": self.integration_id, "shopify_id": row.id,
                   "name": row.name, "is_active": row.is_active} for row in rows]
        if values:
            statement = self._insert(table).values(values)
            self.conn.execute(statement.on_conflict_do_update(
                index_elements=["integration_id", "shopify_id"],
                set_={"name": statement.excluded.name, "is_active": statement.excluded.is_active}))
        self.conn.execute(delete(table).where(table.c.integration_id == self.integration_id,
                                              table.c.shopify_id.not_in([v["shopify_id"] for v in values])))

    # -- removals ------------------------------------------------------------------------------
    def variant_ids_for_items(self, inventory_item_ids: Iterable[int]) -> list[int]:
        ids = list(set(inventory_item_ids))
        if not ids:
            return []
        table = Variant.__table__
        return list(self.conn.execute(select(table.c.id).where(
            table.c.integration_id == self.integration_id, table.c.inventory_item_id.in_(ids))).scalars())

    def _deleted(self, product_shopify_id) -> object:
        tombstones = DeletedProduct.__table__
        return exists().where(tombstones.c.integration_id == self.integration_id,
                              tombstones.c.shopify_id == product_shopify_id)

    def was_deleted(self, product_shopify_id: int) -> bool:
        """Shopify deleted this product: nothing about it may be written again."""
        return self.conn.execute(select(self._deleted(product_shopify_id))).scalar()

    def _remember_deleted(self, product_shopify_ids: Iterable[int], deleted_at: datetime) -> None:
        rows = [{"tenant_id": self.tenant_id, "integration_id": self.integration_id, "shopify_id": shopify_id,
                 "deleted_at": deleted_at} for shopify_id in product_shopify_ids]
        if rows:
            self.conn.execute(self._insert(DeletedProduct.__table__).values(rows).on_conflict_do_nothing())

    def delete_product(self, product_shopify_id: int, deleted_at: datetime) -> bool:
        """Remove a product for good with its variants and images; their links are orphaned, not deleted."""
        self._remember_deleted([product_shopify_id], deleted_at)
        table = Product.__table__
        variants = Variant.__table__
        self.orphaned += orphan_variant_links(self.conn, select(variants.c.id).join(
            table, table.c.id == variants.c.product_id).where(
            table.c.integration_id == self.integration_id, table.c.shopify_id == product_shopify_id),
            "was deleted in Shopify")
        result = self.conn.execute(delete(table).where(table.c.integration_id == self.integration_id,
                                                       table.c.shopify_id == product_shopify_id))
        return result.rowcount > 0

    def prune_product(self, product_shopify_id: int, variant_ids: Iterable[int], image_ids: Iterable[int]) -> None:
        """Drop the variants and images a product no longer has (given its complete lists)."""
        product_id = select(Product.id).where(Product.integration_id == self.integration_id,
                                              Product.shopify_id == product_shopify_id).scalar_subquery()
        variants, images = Variant.__table__, Image.__table__
        gone = and_(variants.c.product_id == product_id, variants.c.shopify_id.not_in(list(variant_ids)))
        self.orphaned += orphan_variant_links(self.conn, select(variants.c.id).where(gone),
                                              "was deleted from its product in Shopify")
        self.conn.execute(delete(variants).where(gone))
        self.conn.execute(delete(images).where(images.c.product_id == product_id,
                                               images.c.shopify_id.not_in(list(image_ids))))

    def products_seen(self) -> int:
        """How many products this full import has seen so far."""
        return self.conn.execute(select(func.count()).select_from(SEEN_PRODUCTS)).scalar_one()

    def sweep(self, unchanged_since: datetime) -> int:
        """After a full import: delete what Shopify no longer has; returns how many products went.

        Rows Shopify changed after the export's snapshot (`unchanged_since`) are kept:
        the export could not have seen them.
        """
        products, variants, images, levels = (Product.__table__, Variant.__table__, Image.__table__,
                                              InventoryLevel.__table__)

        def old(table):
            return or_(table.c.shopify_updated_at.is_(None), table.c.shopify_updated_at < unchanged_since)

        unseen_product = and_(products.c.integration_id == self.integration_id, old(products),
                              ~exists().where(SEEN_PRODUCTS.c.shopify_id == products.c.shopify_id))
        unseen_variant = and_(variants.c.integration_id == self.integration_id, old(variants),
                              ~exists().where(SEEN_VARIANTS.c.shopify_id == variants.c.shopify_id))
        self.orphaned += orphan_variant_links(
            self.conn, select(variants.c.id).where(or_(unseen_variant, variants.c.product_id.in_(
                select(products.c.id).where(unseen_product)))),
            "is no longer in Shopify's catalog (a full import did not find it)")
        gone = list(self.conn.execute(delete(products).where(unseen_product).returning(products.c.shopify_id))
                    .scalars())
        self._remember_deleted(gone, utcnow())
        self.conn.execute(delete(variants).where(unseen_variant))
        old_products = select(products.c.id).where(products.c.integration_id == self.integration_id, old(products))
        self.conn.execute(delete(images).where(
            images.c.product_id.in_(old_products),
            ~exists().where(SEEN_IMAGES.c.shopify_id == images.c.shopify_id)))
        self.conn.execute(delete(levels).where(
            levels.c.integration_id == self.integration_id, old(levels),
            ~exists().where(and_(SEEN_LEVELS.c.inventory_item_id == levels.c.inventory_item_id,
                                 SEEN_LEVELS.c.location_id == levels.c.location_id))))
        return len(gone)

    @staticmethod
    def _literal(value: int):
        return literal(value, BigInteger)
