"""Secrets never reach the logs through a URL.

Access logs (Werkzeug's request log in the embedded default and tests, gunicorn's when it is
turned on) print each request line with its query string. Some URLs carry secrets there: TikTok's
token endpoints take the app secret and the authorization code as query parameters (the sandbox
serves them in the same process), and both OAuth callbacks bring a one-time code. This filter
blanks those values before a record is written.
"""
from __future__ import annotations

import logging
import re

SECRET_PARAMETERS = ("app_secret", "client_secret", "auth_code", "code", "refresh_token", "access_token",
                     "hmac", "sign", "state")
REDACTED = "[redacted]"
_SECRET_VALUE = re.compile(r"(?<=[?&;])(" + "|".join(SECRET_PARAMETERS) + r")=[^&;\s\"']*", re.IGNORECASE)
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(lambda match: f"{match.group(1)}={REDACTED}", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_access_logs() -> None:
    """Once per process: loggers are process-wide, and one filter per logger is enough."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
