"""Helpers for Shopify import and webhook tests: an installed store, and running queued jobs in-test."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from flask import Flask
from rq import Queue
from sqlalchemy import select

from shopsync.extensions import Queues, db
from shopsync.models import Integration
from shopsync.sync.catalog.shopify_import import unfinished_import
from tests.support.journeys import install_shop


def take_jobs(app: Flask, func_name: str, **match) -> list:
    """Remove the queued jobs of `func_name` (whose first argument equals match['arg'] if given)."""
    connection = app.extensions["shopsync.redis"]
    taken = []
    for name in Queues.NAMES:
        queue = Queue(name, connection=connection)
        for job in queue.get_jobs():
            if job is None or job.func_name != func_name:
                continue
            if "arg" in match and (not job.args or job.args[0] != match["arg"]):
                continue
            queue.remove(job)
            taken.append(job)
    return taken


def run_jobs(app: Flask, func_name: str, **match) -> int:
    """Run queued jobs of one function here, in the current app context."""
    jobs = take_jobs(app, func_name, **match)
    for job in jobs:
        job.func(*job.args, **job.kwargs)
    return len(jobs)


def sign_webhook(app, body: bytes) -> str:
    secret = app.config["SHOPIFY_API_SECRET"].encode()
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def post_webhook(client, app, shop: str, topic: str, payload: dict, *, event_id: str | None = None,
          signature: str | None = None, body: bytes | None = None):
    body = body if body is not None else json.dumps(payload, separators=(",", ":")).encode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-API-Version": "2026-10",
               "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
               "X-Shopify-Triggered-At": "2026-11-25T12:00:00.000000Z", "Content-Type": "application/json"}
    if signature != "":
        headers["X-Shopify-Hmac-Sha256"] = signature or sign_webhook(app, body)
    return client.post("/webhooks/shopify", data=body, headers=headers)


def deliver_webhooks(app: Flask, shopify_sandbox) -> None:
    """Let the sandbox send what it queued to the live app, then apply what was recorded."""
    assert shopify_sandbox.wait_for_webhooks(15)
    run_jobs(app, "shopsync.jobs.webhooks.process_webhooks")


def shopify_integration(shop: str) -> Integration:
    return db.session.execute(select(Integration).where(
        Integration.platform == "shopify", Integration.external_id == shop)).scalar_one()


def install_store(client, app: Flask, shop: str, *, import_catalog: bool = True) -> Integration:
    """Install through the real OAuth flow, then run what the install queued: webhooks, first import."""
    install_shop(client, shop)
    integration = shopify_integration(shop)
    run_jobs(app, "shopsync.jobs.installs.after_install", arg=integration.id)
    run = unfinished_import(integration.id)
    (run_jobs if import_catalog else take_jobs)(app, "shopsync.jobs.imports.import_shopify_catalog", arg=run.id)
    db.session.refresh(integration)
    return integration
