"""The RQ worker class ShopSync runs: registers the periodic jobs when it starts.

    rq worker --with-scheduler -w shopsync.jobs.worker.ShopSyncWorker --url $REDIS_URL high default low

Jobs run in this process (RQ's SimpleWorker) rather than in a fork per job: a fork costs
~100 ms (a new process, its first database connection), which caps a worker near ten
webhook deliveries a second. Job timeouts still hold (SIGALRM in this process). The job
modules and the app are loaded when the worker starts, not by the first job.

The scheduler process (`--with-scheduler`) looks for due jobs every SCHEDULER_TICK_SECONDS
rather than RQ's every second. RQ keeps scheduled times in whole seconds, so a debounced flush
is due at the first whole second after its debounce; a one-second tick then added a further
0 to 1 s, fixed by the phase at which the worker happened to start: the same code measured a
stock change reaching TikTok at p99 1.0 s in one run and 2.0 s in the next (bench/README.md).
"""
from __future__ import annotations

import importlib
import pkgutil
import time

from rq import SimpleWorker
from rq.scheduler import RQScheduler

from . import _app
from .schedule import register_schedule

SCHEDULER_TICK_SECONDS = 0.1  # a few Redis commands per tick, in the one process holding the scheduler lock


class ShopSyncScheduler(RQScheduler):
    """RQ's scheduler loop (rq.scheduler.RQScheduler.work) with a shorter sleep. Its `interval` stays a
    whole second: RQ also uses it, plus 60, as the TTL of its locks, which Redis takes in whole seconds."""

    def work(self):
        self._install_signal_handlers()
        self.register_birth()
        while not self._stop_requested:
            if self.should_reacquire_locks:
                self.acquire_locks()
            self.heartbeat()
            self.enqueue_scheduled_jobs()
            time.sleep(SCHEDULER_TICK_SECONDS)
        self.stop()


class ShopSyncWorker(SimpleWorker):
    def work(self, *args, **kwargs):
        for module in pkgutil.iter_modules(importlib.import_module(__package__).__path__):
            importlib.import_module(f"{__package__}.{module.name}")
        _app()
        register_schedule(self.connection)
        return super().work(*args, **kwargs)

    def _start_scheduler(self, burst: bool = False, logging_level=None, date_format=None, log_format=None):
        """As RQ's own (rq.worker.base), with ShopSync's scheduler; RQ takes no option for its class."""
        options = {name: value for name, value in
                   (("date_format", date_format), ("log_format", log_format)) if value is not None}
        self.scheduler = ShopSyncScheduler(self.queues, connection=self.connection,
                                           logging_level=logging_level if logging_level is not None else self.log.level,
                                           serializer=self.serializer, **options)
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return  # another worker's scheduler holds them; the maintenance pass tries again (auto_start)
        if burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()
        else:
            self.scheduler.start()
