"""Cross-cutting web behaviour: security headers, error pages, input every route refuses, health check."""
from __future__ import annotations

from flask import Flask, abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from .extensions import db
from .inputs import MAX_ID, InvalidInput, has_nul

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


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits up to BIGINT, so an id no row can have is a 404, not a
    database error."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def init_web(app: Flask) -> None:
    """Call before any route is added: the `int` converter applies to rules as they are added."""
    app.url_map.converters["int"] = IdConverter
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
        if request.endpoint != "static":
            # Pages, fragments, API answers and CSV exports hold merchant data: no shared or browser cache
            # keeps a copy (the back button after logout, a proxy between offices).
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.before_request
    def refuse_nul_characters():
        """NUL is in no legitimate query or form value, and PostgreSQL cannot store or compare it.

        Forms are checked when CSRF protection has read them (every form post); webhook and API
        bodies are never parsed as forms here, so their raw bytes stay unread for the HMAC check.
        """
        args = request.args
        form = request.__dict__.get("form")
        for values in (args, form) if form is not None else (args,):
            if has_nul(values.keys()) or has_nul(value for key in values for value in values.getlist(key)):
                abort(400, "The request holds a NUL character, which no field accepts.")

    @app.errorhandler(InvalidInput)
    def invalid_input(error):
        return _error_response(400, str(error))

    @app.errorhandler(RecursionError)
    def nested_too_deeply(error):
        # Only input nests without bound here: JSON bodies (Flask's and webargs' parsers let it through).
        return _error_response(400, "The request body is nested too deeply to read.")

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
