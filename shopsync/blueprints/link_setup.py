"""Making links: one by one with pickers, automatically by SKU or barcode, or from a CSV file.

Automatic and CSV links go through a preview: what was previewed is kept for an
hour under a random token (Redis), and confirming saves exactly that.
"""
from __future__ import annotations

import json
import secrets

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_login import login_required
from sqlalchemy import or_

from ..extensions import db
from ..inputs import InvalidInput, named, optional_row_id, row_id
from ..models import Integration, Product, ProductLink, TikTokProduct, TikTokSku, Variant
from ..sync.links import actions as link_actions
from ..sync.links import csv_io as link_csv
from ..sync.links import auto as linking
from ..sync.links.actions import LinkError
from ..sync.links.listing import LinkFilters, matching_ids
from ..sync.pushes.rules import SettingsError
from ..tenancy import current_tenant_id, scoped
from .links import tiktok_integrations

bp = Blueprint("link_setup", __name__, url_prefix="/product-links")

PICKER_SIZE = 20
PREVIEW_SHOWN = 500
STASH_SECONDS = 3600
MAX_UPLOAD = 5 * 1024 * 1024


# ---- one link --------------------------------------------------------------------------------------------
@bp.get("/new")
@login_required
def new():
    return render_template("links/new.html", errors={}, tiktok_integrations=tiktok_integrations())


@bp.post("/new")
@login_required
def create():
    tenant_id = current_tenant_id()
    variant, sku = _form_id("variant_id"), _form_id("tiktok_sku_id")
    errors = {}
    if variant is None:
        errors["variant_id"] = "Pick the Shopify variant that feeds this SKU."
    if sku is None:
        errors["tiktok_sku_id"] = "Pick the TikTok SKU to keep in step."
    if not errors:
        try:
            link_id = link_actions.create_links(tenant_id, [(variant, sku)])[0]
        except LinkError as error:
            errors["form"] = f"Not linked: {error}."
        else:
            flash("Linked. The first push is on its way to TikTok.", "success")
            return redirect(url_for("links.detail", link_id=link_id))
    return render_template("links/new.html", errors=errors, tiktok_integrations=tiktok_integrations(),
                           q_variant=request.form.get("q_variant", ""), q_sku=request.form.get("q_sku", "")), 422


def _form_id(name: str) -> int | None:
    try:
        return row_id(request.form.get(name, ""))
    except InvalidInput:
        return None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@bp.get("/pick/variants")
@login_required
def pick_variants():
    """Active search: Shopify variants by product title, SKU or barcode."""
    q = (request.args.get("q_variant") or "").strip()[:100]
    query = (scoped(Variant).with_only_columns(Variant.id, Product.title, Variant.title, Variant.sku, Variant.price)
             .join(Product, Product.id == Variant.product_id))
    if q:
        pattern = _like(q)
        query = query.where(or_(Product.title.ilike(pattern, escape="\\"), Variant.sku.ilike(pattern, escape="\\"),
                                Variant.barcode.ilike(pattern, escape="\\")))
    options = db.session.execute(query.order_by(Product.title, Variant.position, Variant.id).limit(PICKER_SIZE)).all()
    return render_template("partials/variant_options.html", options=options, q=q)


@bp.get("/pick/skus")
@login_required
def pick_skus():
    """Active search: TikTok SKUs not linked yet, by product title or seller SKU."""
    q = (request.args.get("q_sku") or "").strip()[:100]
    integration = named("integration", optional_row_id, request.args.get("integration"))
    query = (scoped(TikTokSku).with_only_columns(TikTokSku.id, TikTokProduct.title, TikTokSku.seller_sku,
                                                 TikTokSku.price, TikTokSku.currency, Integration.name)
             .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
             .join(Integration, Integration.id == TikTokSku.integration_id)
             .outerjoin(ProductLink, ProductLink.tiktok_sku_id == TikTokSku.id)
             .where(ProductLink.id.is_(None)))
    if integration is not None:
        query = query.where(TikTokSku.integration_id == integration)
    if q:
        pattern = _like(q)
        query = query.where(or_(TikTokProduct.title.ilike(pattern, escape="\\"),
                                TikTokSku.seller_sku.ilike(pattern, escape="\\")))
    options = db.session.execute(query.order_by(TikTokProduct.title, TikTokSku.id).limit(PICKER_SIZE)).all()
    return render_template("partials/sku_options.html", options=options, q=q)


# ---- previews kept for confirmation -------------------------------------------------------------------
def _stash(kind: str, payload) -> str:
    token = secrets.token_urlsafe(16)
    current_app.extensions["shopsync.redis"].set(_stash_key(kind, token), json.dumps(payload), ex=STASH_SECONDS)
    return token


def _claim_stash(kind: str, token: str):
    """Take a preview for confirming, atomically: of the same confirmation sent twice (a double click,
    five tabs), one gets it and the others find it gone."""
    raw = current_app.extensions["shopsync.redis"].getdel(_stash_key(kind, token))
    return json.loads(raw) if raw else None


def _expired(start_over: str):
    flash("That preview was already saved, or it has expired: nothing more was saved. Start again if you need to.",
          "error")
    return redirect(url_for(start_over))


def _stash_key(kind: str, token: str) -> str:
    # The tenant is part of the key: a token from another account finds nothing.
    return f"shopsync:preview:{kind}:{current_tenant_id()}:{token[:64]}"


# ---- auto-link -------------------------------------------------------------------------------------------
@bp.get("/auto")
@login_required
def auto_link():
    return render_template("links/auto.html", tiktok_integrations=tiktok_integrations(), preview=None, errors={})


@bp.post("/auto/preview")
@login_required
def auto_preview():
    tenant_id = current_tenant_id()
    integrations = tiktok_integrations()
    integration, by = _form_id("integration"), request.form.get("by", "sku")
    errors = {}
    if integration is None:
        errors["integration"] = "Choose the TikTok shop to link."
    if by not in ("sku", "barcode"):
        errors["by"] = "Match by SKU or by barcode."
    preview = None
    if not errors:
        try:
            preview = linking.preview_auto_link(tenant_id, integration, by)
        except LinkError as error:
            errors["integration"] = str(error).capitalize() + "."
    if errors:
        return render_template("links/auto.html", tiktok_integrations=integrations, preview=None, errors=errors,
                               chosen=integration, by=by), 422
    token = _stash("auto", {"integration": integration, "by": by, "pairs": preview.pairs})
    return render_template("links/auto.html", tiktok_integrations=integrations, preview=preview, errors={},
                           chosen=integration, by=by, token=token, labels=_labels(preview),
                           shown=preview.matches[:PREVIEW_SHOWN])


@bp.post("/auto/confirm")
@login_required
def auto_confirm():
    tenant_id = current_tenant_id()
    token = request.form.get("token", "")
    stashed = _claim_stash("auto", token)
    if stashed is None:
        return _expired("link_setup.auto_link")
    shown = set(request.form.getlist("shown"))
    kept = set(request.form.getlist("pair"))
    pairs = [tuple(pair) for pair in stashed["pairs"] if f"{pair[0]}:{pair[1]}" not in shown - kept]
    try:
        ids = linking.apply_auto_link(tenant_id, stashed["integration"], stashed["by"], pairs)
    except LinkError as error:
        flash(f"Nothing was linked: {error}.", "error")
        return redirect(url_for("link_setup.auto_link"))
    flash(f"Linked {len(ids)} SKU{'s' if len(ids) != 1 else ''}. The first pushes are on their way to TikTok.",
          "success")
    return redirect(url_for("links.index"))


def _labels(preview: linking.LinkPreview) -> dict:
    """Titles for the variants and SKUs the preview page names (matches shown, conflicts, a few unmatched)."""
    variant_ids = {m.variant_id for m in preview.matches[:PREVIEW_SHOWN]}
    sku_ids = {m.sku_row_id for m in preview.matches[:PREVIEW_SHOWN]}
    for conflict in preview.conflicts[:PREVIEW_SHOWN]:
        variant_ids.update(conflict.variant_ids)
        sku_ids.update(conflict.sku_row_ids)
    variant_ids.update(preview.unmatched_variant_ids[:50])
    sku_ids.update(preview.unmatched_sku_row_ids[:50])
    variants = {row[0]: row[1:] for row in db.session.execute(
        scoped(Variant).with_only_columns(Variant.id, Product.title, Variant.title, Variant.sku, Variant.barcode)
        .join(Product, Product.id == Variant.product_id).where(Variant.id.in_(variant_ids)))}
    skus = {row[0]: row[1:] for row in db.session.execute(
        scoped(TikTokSku).with_only_columns(TikTokSku.id, TikTokProduct.title, TikTokSku.seller_sku,
                                            TikTokSku.barcode)
        .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id).where(TikTokSku.id.in_(sku_ids)))}
    return {"variants": variants, "skus": skus}


# ---- CSV ---------------------------------------------------------------------------------------------------
@bp.get("/export.csv")
@login_required
def export_csv():
    tenant_id = current_tenant_id()
    filters = LinkFilters.from_args(request.args)
    ids = matching_ids(tenant_id, filters, 1_000_000) if filters.as_args() else None
    return Response(stream_with_context(link_csv.export_rows(tenant_id, ids)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="shopsync-links.csv"'})


@bp.get("/import")
@login_required
def import_csv():
    return render_template("links/import.html", preview=None, errors={})


@bp.post("/import")
@login_required
def import_preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("links/import.html", preview=None,
                               errors={"file": "Choose a CSV file (export your links to get one to edit)."}), 422
    raw = upload.stream.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return render_template("links/import.html", preview=None,
                               errors={"file": "The file is larger than 5 MB; split it."}), 422
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return render_template("links/import.html", preview=None,
                               errors={"file": "Save the file as UTF-8 CSV and try again."}), 422
    preview = link_csv.preview(current_tenant_id(), text)
    if preview.problem:
        return render_template("links/import.html", preview=None, errors={"file": preview.problem}), 422
    token = _stash("csv", text) if preview.ok and (preview.creates or preview.updates) else None
    return render_template("links/import.html", preview=preview, errors={}, token=token,
                           filename=upload.filename)


@bp.post("/import/confirm")
@login_required
def import_confirm():
    tenant_id = current_tenant_id()
    token = request.form.get("token", "")
    text = _claim_stash("csv", token)
    if text is None:
        return _expired("link_setup.import_csv")
    preview = link_csv.preview(tenant_id, text)  # checked again: the catalog may have moved on
    try:
        created, changed = link_csv.apply(tenant_id, preview)
    except (LinkError, SettingsError) as error:
        flash(f"Nothing was saved: {error}.", "error")
        return redirect(url_for("link_setup.import_csv"))
    flash(f"Created {created} link{'s' if created != 1 else ''} and changed {changed}.", "success")
    return redirect(url_for("links.index"))
