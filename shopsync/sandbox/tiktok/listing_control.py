"""Control routes for listing creation: script audits, fail prerequisites, set quotas, change the tree."""
from __future__ import annotations

from html import escape

from flask import Blueprint, Response, jsonify, redirect, request, url_for

from shopsync.sandbox.tiktok.listing_api import settle_audits
from shopsync.sandbox.tiktok.listing_desk import PREREQUISITES, AuditScript


def register(bp: Blueprint, sandbox) -> None:
    def desk():
        return sandbox.listing_desk

    def body() -> dict:
        found = request.get_json(silent=True)
        return found if isinstance(found, dict) else {}

    def shop_id(given: dict) -> str | None:
        wanted = str(given.get("shop_id") or sandbox.shops[0].id)
        return wanted if any(s.id == wanted for s in sandbox.shops) else None

    @bp.get("/_control/listings")
    def listings_state():
        with sandbox.lock:
            return jsonify(desk().as_json())

    @bp.post("/_control/listings/audit")
    def listings_audit():
        """Script the audit of products whose external product id or title is `key` ("*": every product)."""
        given = body()
        key, outcome = str(given.get("key") or ""), given.get("outcome")
        if not key or outcome not in ("approve", "reject", None):
            return jsonify(error="need key and outcome approve|reject (or no outcome to remove the script)"), 400
        with sandbox.lock:
            if outcome is None:
                desk().scripts.pop(key, None)
            else:
                seconds = given.get("seconds")
                desk().scripts[key] = AuditScript(outcome, [str(r) for r in given.get("reasons") or []],
                                                  float(seconds) if seconds is not None else None)
            return jsonify(desk().as_json()["scripts"])

    @bp.post("/_control/listings/audit-seconds")
    def listings_audit_seconds():
        with sandbox.lock:
            desk().audit_seconds = max(0.0, float(body().get("seconds", 0)))
            return jsonify(audit_seconds=desk().audit_seconds)

    @bp.post("/_control/listings/settle")
    def listings_settle():
        return jsonify(ended=settle_audits(sandbox))

    @bp.post("/_control/listings/prerequisites")
    def listings_prerequisites():
        """Fail (or pass, with `passed: true`) one prerequisite item of a shop."""
        given = body()
        item, shop = str(given.get("check_item") or "").upper(), shop_id(given)
        if shop is None or item not in {p.upper() for p in PREREQUISITES}:
            return jsonify(error=f"need a known shop_id and check_item, one of {', '.join(PREREQUISITES)}"), 400
        with sandbox.lock:
            failing = desk().failing_prerequisites.setdefault(shop, {})
            if given.get("passed"):
                failing.pop(item, None)
            else:
                failing[item] = [str(r) for r in given.get("fail_reasons") or [f"{item} is not set up"]]
            return jsonify(check_results=desk().check_results(shop))

    @bp.post("/_control/listings/quota")
    def listings_quota():
        given, shop = body(), shop_id(body())
        if shop is None:
            return jsonify(error="unknown shop_id"), 400
        with sandbox.lock:
            if given.get("limit") is not None:
                desk().daily_limit[shop] = max(0, int(given["limit"]))
            if given.get("used") is not None:
                desk().created[(shop, desk().today())] = max(0, int(given["used"]))
            return jsonify(limit=desk().limit_of(shop), used=desk().used_today(shop))

    @bp.post("/_control/listings/tree")
    def listings_tree():
        """Publish a new category tree revision (more mandatory attributes), as TikTok does every few months."""
        with sandbox.lock:
            desk().tree_revision = max(0, int(body().get("revision", desk().tree_revision + 1)))
            return jsonify(tree_revision=desk().tree_revision)

    @bp.post("/_control/listings/lost-answers")
    def listings_lost_answers():
        """The next N creates are carried out, but answered with a gateway timeout."""
        with sandbox.lock:
            desk().lost_answers = max(0, int(body().get("count", 1)))
            return jsonify(lost_answers=desk().lost_answers)

    @bp.post("/_control/listings/slow-answers")
    def listings_slow_answers():
        """Creates are carried out at once but answered this many seconds later (0: at once)."""
        with sandbox.lock:
            desk().slow_answer_seconds = max(0.0, float(body().get("seconds", 0)))
            return jsonify(slow_answer_seconds=desk().slow_answer_seconds)

    @bp.get("/_control/listings/events")
    def listings_events():
        with sandbox.lock:
            return jsonify(events=list(desk().events))

    # ---- the page a person uses ----------------------------------------------------------------------
    @bp.get("/_control/listings/admin")
    def listings_admin():
        return Response(_page(sandbox, request.args.get("message", "")), mimetype="text/html")

    def back(message: str):
        return redirect(url_for(".listings_admin", message=message), code=303)

    @bp.post("/_control/listings/admin/products/<product_id>/<outcome>")
    def listings_admin_decide(product_id: str, outcome: str):
        """End this product's review now: approve, or reject with the reason typed."""
        if outcome not in ("approve", "reject"):
            return back("Unknown action")
        with sandbox.lock:
            listing = desk().listings.get(product_id)
            if listing is None:
                return back(f"No listing {product_id}")
            key = str(listing.body.get("external_product_id") or listing.body.get("title"))
            reason = (request.form.get("reason") or "").strip()[:500]
            desk().scripts[key] = AuditScript(outcome, [reason] if reason else [])
            shop = sandbox.shop(listing.shop_id)
            product = shop.products[product_id]
            if product.status not in ("PENDING", "DRAFT"):
                product.status = "PENDING"
            listing.audit_due = sandbox.clock()
        settle_audits(sandbox)
        return back(f"Product {product_id}: {'approved' if outcome == 'approve' else 'rejected'}")

    @bp.post("/_control/listings/admin/script")
    def listings_admin_script():
        key, outcome = (request.form.get("key") or "").strip()[:999], request.form.get("outcome")
        if not key or outcome not in ("approve", "reject"):
            return back("Give a key (external product id or title) and an outcome")
        seconds = request.form.get("seconds") or None
        with sandbox.lock:
            desk().scripts[key] = AuditScript(outcome, [r for r in [(request.form.get("reason") or "")[:500]] if r],
                                              float(seconds) if seconds else None)
        return back(f"The review of {key} will {outcome}")

    @bp.post("/_control/listings/admin/prerequisites")
    def listings_admin_prerequisites():
        item, shop = (request.form.get("check_item") or "").upper(), shop_id(request.form)
        if shop is None or item not in {p.upper() for p in PREREQUISITES}:
            return back("Pick a shop and an item")
        with sandbox.lock:
            failing = desk().failing_prerequisites.setdefault(shop, {})
            if request.form.get("passed"):
                failing.pop(item, None)
            else:
                failing[item] = [(request.form.get("reason") or f"{item} is not set up")[:300]]
        return back(f"{item} {'passes' if request.form.get('passed') else 'fails'} now")

    @bp.post("/_control/listings/admin/quota")
    def listings_admin_quota():
        shop = shop_id(request.form)
        limit = request.form.get("limit", "")
        if shop is None or not limit.isdigit():
            return back("Pick a shop and a whole number")
        with sandbox.lock:
            desk().daily_limit[shop] = int(limit)
        return back(f"Daily listing limit {limit}")

    @bp.post("/_control/listings/admin/tree")
    def listings_admin_tree():
        with sandbox.lock:
            desk().tree_revision += 1
        return back(f"Category tree revision {desk().tree_revision}: more mandatory attributes")


def _page(sandbox, message: str) -> str:
    desk = sandbox.listing_desk
    with sandbox.lock:
        rows = []
        for listing in sorted(desk.listings.values(), key=lambda item: int(item.product_id), reverse=True)[:300]:
            product = sandbox.shop(listing.shop_id).products.get(listing.product_id)
            if product is None:
                continue
            reasons = "; ".join(r for item in product.audit_failed_reasons for r in item.get("reasons", []))
            rows.append(
                f"<tr><td>{escape(product.id)}</td><td>{escape(product.title)}</td><td>{escape(product.status)}</td>"
                f"<td>{escape(reasons) or '-'}</td><td>"
                f"<form method='post' action='admin/products/{escape(product.id)}/approve'><button>Approve now"
                f"</button></form> <form method='post' action='admin/products/{escape(product.id)}/reject'>"
                "<input name='reason' placeholder='reason' aria-label='Reason'> <button>Reject now</button></form>"
                "</td></tr>")
        shops = "".join(f"<option value='{escape(s.id)}'>{escape(s.name)} (limit {desk.limit_of(s.id)}, used "
                        f"{desk.used_today(s.id)} today)</option>" for s in sandbox.shops)
        failing = "".join(f"<li>{escape(sandbox.shop(shop).name)}: {escape(item)} ({escape('; '.join(reasons))})</li>"
                          for shop, items in desk.failing_prerequisites.items() for item, reasons in items.items())
        items = "".join(f"<option>{escape(item.upper())}</option>" for item in PREREQUISITES)
        revision = desk.tree_revision
    notice = f"<p role='status'><strong>{escape(message)}</strong></p>" if message else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>TikTok Shop sandbox: listings</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}form{display:inline}</style>"
        f"</head><body><h1>TikTok Shop sandbox: listings and review</h1>{notice}"
        "<h2>Listings</h2><table><tr><th>Product</th><th>Title</th><th>Status</th><th>Review reasons</th>"
        f"<th>Review</th></tr>{''.join(rows)}</table>"
        "<h2>Script a future review</h2><form method='post' action='admin/script'>"
        "<input name='key' placeholder='external product id or title' aria-label='Product'> "
        "<select name='outcome' aria-label='Outcome'><option>approve</option><option>reject</option></select> "
        "<input name='reason' placeholder='reason' aria-label='Reason'> "
        "<input name='seconds' placeholder='after seconds' size='6' aria-label='After seconds'> "
        "<button>Save</button></form>"
        f"<h2>Listing prerequisites</h2><ul>{failing or '<li>all pass</li>'}</ul>"
        f"<form method='post' action='admin/prerequisites'><select name='shop_id' aria-label='Shop'>{shops}</select> "
        f"<select name='check_item' aria-label='Item'>{items}</select> "
        "<input name='reason' placeholder='why it fails' aria-label='Why'> "
        "<label><input type='checkbox' name='passed' value='1'> passes</label> <button>Set</button></form>"
        "<h2>Daily listing limit</h2><form method='post' action='admin/quota'>"
        "<select name='shop_id' aria-label='Shop'>"
        f"{shops}</select> <input name='limit' size='6' aria-label='Limit'> <button>Set</button></form>"
        f"<h2>Category tree</h2><p>Revision {revision}.</p><form method='post' action='admin/tree'>"
        "<button>Publish a new revision (more mandatory attributes)</button></form></body></html>")
