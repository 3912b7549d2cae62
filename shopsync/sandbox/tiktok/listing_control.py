"""Control routes for listing creation: script audits, fail prerequisites, set quotas, change the tree."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

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

    @bp.get("/_control/listings/events")
    def listings_events():
        with sandbox.lock:
            return jsonify(events=list(desk().events))
