"""Cross-cutting web behaviour: security headers, error pages, health check."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from .extensions import db

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self' {form_targets}; frame-ancestors 'none'"
)

ERROR_TITLES = {
    400: "That request was not valid",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
}


def init_web(app: Flask) -> None:
    # OAuth grant pages live on other origins; the form-action list lets their redirects through.
    form_targets = "https:" if not app.config["SANDBOX_ENABLED"] else "https: http:"
    csp = CONTENT_SECURITY_POLICY.format(form_targets=form_targets)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_response(400, "The form expired or was not sent from ShopSync. Reload the page and try again.")

    for status in ERROR_TITLES:
        app.register_error_handler(status, lambda error, status=status: _error_response(
            status, getattr(error, "description", None)))

    @app.get("/healthz")
    def healthz():
        checks = {}
        try:
            db.session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            db.session.rollback()
            checks["database"] = "unavailable"
        try:
            app.extensions["shopsync.redis"].ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            checks["redis"] = "unavailable"
        healthy = all(value == "ok" for value in checks.values())
        return jsonify(status="ok" if healthy else "unavailable", checks=checks), 200 if healthy else 503


def _error_response(status: int, message: str | None):
    title = ERROR_TITLES.get(status, "Error")
    wants_json = request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"
    if wants_json:
        return jsonify(error={"status": status, "title": title, "message": message or title}), status
    return render_template("error.html", status=status, title=title, message=message), status
