"""The embedded default's background work: an RQ worker and schedulers in threads of the web process.

Production runs `rq worker --with-scheduler` and `rqscheduler` as their own
processes (Procfile); here one process does it all so a laptop needs nothing.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from . import jobs
from .extensions import Queues
from .jobs.schedule import enqueue_due, register_schedule, scheduler

log = logging.getLogger(__name__)


class _ThreadWorker(SimpleWorker):
    """A worker that runs jobs in its own thread: signals belong to the main thread, so job timeouts
    use a timer instead of SIGALRM and no signal handlers are installed."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


def start_background_work(app: Flask) -> list[threading.Thread]:
    jobs.bind_app(app)
    connection = app.extensions["shopsync.redis"]
    worker = _ThreadWorker(list(Queues.NAMES), connection=connection)
    threads = [
        threading.Thread(target=worker.work, kwargs={"logging_level": "WARNING"}, name="shopsync-worker", daemon=True),
        threading.Thread(target=_move_due_jobs, args=(connection,), name="shopsync-scheduler", daemon=True),
        threading.Thread(target=_run_periodic_jobs, args=(connection,), name="shopsync-cron", daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def _move_due_jobs(connection) -> None:
    """What `rq worker --with-scheduler` does in a forked process: enqueue delayed and retried jobs when due."""
    scheduler = RQScheduler(list(Queues.NAMES), connection=connection, interval=1)
    scheduler.acquire_locks()
    while True:
        try:
            scheduler.enqueue_scheduled_jobs()
        except Exception:  # noqa: BLE001 - keep the loop alive; the next tick retries
            log.exception("moving scheduled jobs failed")
        time.sleep(0.25)


def _run_periodic_jobs(connection) -> None:
    """What the `rqscheduler` process does: the same declared periodic jobs, registered and fired here."""
    register_schedule(connection)
    cron = scheduler(connection)
    while True:
        try:
            enqueue_due(cron)
        except Exception:  # noqa: BLE001 - keep the loop alive; the next tick retries
            log.exception("enqueueing periodic jobs failed")
        time.sleep(5)
