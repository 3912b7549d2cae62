"""The embedded default's "Try the demo": the real install and seller authorization, through the sandbox.

Three clicks: Try the demo (here), Install (the sandbox's Shopify grant page), Approve (the sandbox's TikTok
authorization page). Then both catalogs import and jobs/demo.py links them by SKU.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, session, url_for
from flask_login import login_required

from ..sandbox.cli import DEMO_SHOP

bp = Blueprint("demo", __name__, url_prefix="/demo")

DEMO_FLAG = "demo_tour"


@bp.before_request
def only_with_the_sandbox():
    if not (current_app.config["SANDBOX_ENABLED"] and "sandbox_app" in current_app.extensions):
        abort(404)


@bp.post("")
def start():
    session[DEMO_FLAG] = True
    return redirect(url_for("auth.start", shop=DEMO_SHOP, next=url_for("demo.connect_tiktok")))


@bp.get("/connect-tiktok")
@login_required
def connect_tiktok():
    return redirect(url_for("tiktok.connect"))


def connected(tenant_id: int) -> bool:
    """After a TikTok connection: when it was the demo tour's, queue the demo's auto-link; True if so."""
    if not session.pop(DEMO_FLAG, False):
        return False
    from ..jobs import enqueue
    from ..jobs.demo import link_demo_catalog

    enqueue(link_demo_catalog, tenant_id)
    return True
