"""RQ entry points. Each job runs inside an app context, whichever process runs it.

Jobs are thin: they parse arguments, call sync/ or platforms/, and record outcomes.
"""
from __future__ import annotations

import functools

from flask import current_app, has_app_context
from rq import Queue

_worker_app = None


def _app():
    global _worker_app
    if _worker_app is None:
        from .. import create_app
        _worker_app = create_app()
    return _worker_app


def bind_app(app) -> None:
    """Run jobs in this process with an existing app (the embedded default's worker thread)."""
    global _worker_app
    _worker_app = app


def app_job(func):
    """Run func inside an app context: the caller's, or one app per worker process."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with _app().app_context():
            return func(*args, **kwargs)

    return wrapper


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=current_app.extensions["shopsync.redis"])


def enqueue(func, *args, queue_name: str = "default", **kwargs):
    return queue(queue_name).enqueue(func, *args, **kwargs)
