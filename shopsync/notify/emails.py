"""The alert emails themselves: subject and both bodies, rendered from templates/emails/."""
from __future__ import annotations

from flask import current_app, render_template

from ..models import Alert, Tenant
from .mail import Email

DIGEST_LIST_LIMIT = 50

KIND_TITLES = {
    "link_failed": "A product stopped syncing to TikTok Shop",
    "needs_reauth": "A store needs to be reconnected",
    "run_failed": "A sync run failed",
    "price_held": "A price change waits for your confirmation",
    "link_orphaned": "A product link lost its Shopify variant or TikTok SKU",
    "listing_failed": "TikTok's review rejected a listing",
}


def fix_url(alert: Alert) -> str:
    target = (alert.details or {}).get("fix_path") or "/"
    if target.startswith(("https://", "http://")):
        return target
    return current_app.config["PUBLIC_URL"] + "/" + target.lstrip("/")


def failure_email(tenant: Tenant, alert: Alert) -> Email:
    context = {"tenant": tenant, "alert": alert, "title": KIND_TITLES.get(alert.kind, "Something failed"),
               "facts": (alert.details or {}).get("facts") or {}, "fix_url": fix_url(alert)}
    return _email(alert.recipient or tenant.alert_email, f"ShopSync: {alert.summary}", "failure", context)


def digest_email(tenant: Tenant, alerts: list[Alert]) -> Email:
    shown = alerts[:DIGEST_LIST_LIMIT]
    context = {"tenant": tenant, "alerts": shown, "hidden": len(alerts) - len(shown), "titles": KIND_TITLES,
               "fix_url": fix_url, "settings_url": current_app.config["PUBLIC_URL"] + "/integrations"}
    noun = "problem" if len(alerts) == 1 else "problems"
    return _email(tenant.alert_email, f"ShopSync: {len(alerts)} more {noun} since our last email", "digest",
                  context)


def recovery_email(tenant: Tenant, alert: Alert) -> Email:
    details = alert.details or {}
    context = {"tenant": tenant, "alert": alert, "recovery": details.get("recovery") or "",
               "dashboard_url": current_app.config["PUBLIC_URL"] + "/"}
    return _email(alert.recipient or tenant.alert_email, f"ShopSync: working again: {alert.summary}", "recovery",
                  context)


def _email(to: str, subject: str, template: str, context: dict) -> Email:
    return Email(to=to, subject=subject, text=render_template(f"emails/{template}.txt", **context),
                 html=render_template(f"emails/{template}.html", **context))
