"""Sending one email, with a plain-text and an HTML part, through the configured SMTP server."""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

log = logging.getLogger(__name__)


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
        log.info("mail is off; would send %r to %s", email.subject, email.to)
        return False
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = email.to
    message["Subject"] = email.subject
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
