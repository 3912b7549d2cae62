"""A real SMTP server on loopback (aiosmtpd) and the app pointed at it, plus running alert-email jobs."""
from __future__ import annotations

import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from rq import Queue

from shopsync.extensions import Queues

MAIL_SETTINGS = ("MAIL_ENABLED", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD")
_NOTIFICATION_JOBS = "shopsync.jobs.notifications."


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()  # recipients answered "550 no such mailbox", as a real server does
        self._arrived = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._arrived:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, address: str, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len([m for m in self.messages if address in str(m["To"])]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
        return self.to(address)


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


class _LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: learn the port the OS picked before checking the server is up."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def mailbox(app):
    """A live SMTP server for this test, with the app sending to it (mail settings restored after)."""
    box = Mailbox()
    controller = _LoopbackController(box, hostname="127.0.0.1", port=0)
    controller.start()
    saved = {name: app.config[name] for name in MAIL_SETTINGS}
    app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                      MAIL_USERNAME="", MAIL_PASSWORD="")
    try:
        yield box
    finally:
        app.config.update(saved)
        controller.stop()


def run_alert_emails(app, tenant_id: int) -> int:
    """Run the queued alert-email jobs of one tenant in this process; returns how many ran.

    Only this tenant's: other tests' jobs share the queue and are left alone.
    """
    from shopsync.extensions import db
    from shopsync.models import Alert

    ran = 0
    with app.app_context():
        connection = Queues.connection(app)
        for name in Queues.NAMES:
            queue = Queue(name, connection=connection)
            for job in queue.get_jobs():
                if not job.func_name.startswith(_NOTIFICATION_JOBS) or _job_tenant(db, Alert, job) != tenant_id:
                    continue
                queue.remove(job)
                job.perform()
                ran += 1
    return ran


def _job_tenant(db, alert_model, job) -> int | None:
    if job.func_name.endswith("send_digest_email"):
        return job.args[0]
    if job.func_name.endswith("send_digests") or not job.args:
        return None
    alert = db.session.get(alert_model, job.args[0])
    return alert.tenant_id if alert else None
