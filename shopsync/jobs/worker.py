"""The RQ worker class ShopSync runs: registers the periodic jobs when it starts.

    rq worker --with-scheduler -w shopsync.jobs.worker.ShopSyncWorker --url $REDIS_URL high default low
"""
from __future__ import annotations

from rq import Worker

from .schedule import register_schedule


class ShopSyncWorker(Worker):
    def work(self, *args, **kwargs):
        register_schedule(self.connection)
        return super().work(*args, **kwargs)
