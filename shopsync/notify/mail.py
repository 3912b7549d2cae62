"""Sending one email, with a plain-text and an HTML part, through the configured SMTP server.

Addresses are checked with email-validator wherever one enters (Shopify's staff email at
install, the settings form) and again before sending; subjects are one line of text, so a
TikTok seller SKU or a product title holding CR/LF cannot break the headers. A send that
cannot succeed is told apart (permanent_reason) from one worth retrying.
"""
from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import email_validator
from flask import current_app

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_LENGTH = 200


class InvalidAddress(ValueError):
    """Not an email address mail can be sent to; the message says why, for the merchant."""


def valid_address(text: str) -> str:
    """The address in its normal form, or InvalidAddress (no CR/LF or other controls, one @, a real domain)."""
    try:
        return email_validator.validate_email(text, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None


def one_line(text: str, length: int = SUBJECT_LENGTH) -> str:
    """Text for a header: control characters (CR, LF, NUL, ...) become spaces, at most `length` characters."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= length else line[:length - 1] + "…"


def permanent_reason(error: BaseException) -> str | None:
    """Why sending cannot succeed on retry (the merchant's words), or None when a retry may work."""
    if isinstance(error, InvalidAddress):
        return f"the alert address is not a valid email address ({error})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
                 for code, message in error.recipients.values()]
        if all(str(code).startswith("5") for code in codes):
            return "the mail server refused the alert address: " + "; ".join(codes)[:300]
        return None
    if isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600:
        message = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"the mail server refused the email ({error.smtp_code} {message})"[:300]
    if isinstance(error, (ValueError, smtplib.SMTPNotSupportedError)):
        return f"the email could not be written ({type(error).__name__}: {str(error)[:200]})"
    return None


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def send_email(email: Email) -> bool:
    """Send now; returns False when mail is turned off (MAIL_ENABLED) and the email was only logged.

    Settings are read at send time so a running app can be pointed at another server.
    """
    config = current_app.config
    if not config["MAIL_ENABLED"]:
        # Subject and recipient only: bodies can quote platform answers, never worth logging.
        log.info("mail is off; would send %r to %r", one_line(email.subject), email.to)
        return False
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = valid_address(email.to)
    message["Subject"] = one_line(email.subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="shopsync")
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]),
                      timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    return True
