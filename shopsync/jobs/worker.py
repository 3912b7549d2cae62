"""The RQ worker class ShopSync runs: registers the periodic jobs when it starts.

    rq worker --with-scheduler -w shopsync.jobs.worker.ShopSyncWorker --url $REDIS_URL high default low

Jobs run in this process (RQ's SimpleWorker) rather than in a fork per job: a fork costs
~100 ms (a new process, its first database connection), which caps a worker near ten
webhook deliveries a second. Job timeouts still hold (SIGALRM in this process). The job
modules and the app are loaded when the worker starts, not by the first job.
"""
from __future__ import annotations

import importlib
import pkgutil

from rq import SimpleWorker

from . import _app
from .schedule import register_schedule


class ShopSyncWorker(SimpleWorker):
    def work(self, *args, **kwargs):
        for module in pkgutil.iter_modules(importlib.import_module(__package__).__path__):
            importlib.import_module(f"{__package__}.{module.name}")
        _app()
        register_schedule(self.connection)
        return super().work(*args, **kwargs)
