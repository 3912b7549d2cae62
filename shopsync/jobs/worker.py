"""The RQ worker class ShopSync runs: registers the periodic jobs when it starts.

    rq worker --with-scheduler -w shopsync.jobs.worker.ShopSyncWorker --url $REDIS_URL high default low

It also imports the job modules and builds the app once, before the first fork: RQ runs
every job in a fresh fork of this process, which otherwise pays those seconds on every job.
"""
from __future__ import annotations

import importlib
import pkgutil

from rq import Worker

from . import _app
from .schedule import register_schedule


class ShopSyncWorker(Worker):
    def work(self, *args, **kwargs):
        for module in pkgutil.iter_modules(importlib.import_module(__package__).__path__):
            importlib.import_module(f"{__package__}.{module.name}")
        _app()
        register_schedule(self.connection)
        return super().work(*args, **kwargs)
