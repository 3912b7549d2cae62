"""The Shopify simulator as a Flask blueprint (the sandbox app mounts it at /shopify)."""
from __future__ import annotations

import json
import re

from flask import Blueprint, Response, jsonify, request, send_file

from . import control, oauth
from .api import handle
from .images import placeholder_png, placeholder_svg
from .sandbox import ShopifySandbox
from .urls import IMAGE_ENDPOINT, ShopConverter, absolute_root

API_VERSION = re.compile(r"\d{4}-(01|04|07|10)|unstable")


def create_blueprint(sandbox: ShopifySandbox) -> Blueprint:
    bp = Blueprint("shopify_sandbox", __name__)
    bp.record_once(lambda state: state.app.url_map.converters.setdefault("shop", ShopConverter))

    @bp.post("/<shop:shop>/admin/api/<version>/graphql.json")
    def graphql(shop: str, version: str):
        if not API_VERSION.fullmatch(version):
            return jsonify({"errors": "Not Found"}), 404
        status, body, headers = handle(sandbox, shop, version, request.headers.get("X-Shopify-Access-Token"),
                                       request.get_json(silent=True), absolute_root())
        return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status=status,
                        headers=headers, mimetype="application/json")

    @bp.get("/_images/<int:image_id>.svg", endpoint=IMAGE_ENDPOINT)
    def image(image_id: int):
        response = Response(placeholder_svg(image_id), mimetype="image/svg+xml")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response

    @bp.get("/_images/<int:image_id>.png")
    def image_file(image_id: int):
        content = sandbox.image_files.get(image_id) or placeholder_png(image_id)
        response = Response(content, mimetype="image/png")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response

    @bp.get("/_bulk/<name>")
    def bulk_file(name: str):
        path = sandbox.bulk_file(name, request.args.get("Expires", ""), request.args.get("X-Goog-Signature", ""))
        if path is None:
            return Response("<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                            "<Message>Access denied.</Message></Error>", status=403, mimetype="application/xml")
        return send_file(path, mimetype="application/jsonl", conditional=False)

    oauth.register(bp, sandbox)
    control.register(bp, sandbox)
    return bp
