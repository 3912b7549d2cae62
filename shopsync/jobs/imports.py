"""Catalog import jobs: a full import (install, "Import now", CLI) and the incremental safety net."""
from __future__ import annotations

from rq import Retry

from ..extensions import db
from ..models import Integration, SyncRun
from ..sync.catalog.shopify_import import (BULK_TIMEOUT_SECONDS, FULL, INCREMENTAL, create_import_run, run_import,
                             unfinished_import)
from . import app_job, enqueue
from .pushes import request_flush

JOB_TIMEOUT = BULK_TIMEOUT_SECONDS + 3600


def start_import(integration: Integration, trigger: str, mode: str = FULL) -> SyncRun:
    """Queue an import of the store unless one is already under way; returns the run to watch."""
    run = unfinished_import(integration.id)
    if run is None:
        run = create_import_run(integration, trigger)
        enqueue(import_shopify_catalog, run.id, mode, job_timeout=JOB_TIMEOUT,
                retry=Retry(max=2, interval=[60, 300]))
    return run


@app_job
def import_shopify_catalog(run_id: int, mode: str = FULL) -> None:
    run = db.session.get(SyncRun, run_id)
    if run is None:  # the tenant was deleted meanwhile
        return
    request_flushes(run_import(run, mode), run.trigger)


@app_job
def import_changed_products(integration_id: int) -> None:
    """The scheduled safety net: products changed since the last import, unless an import is running."""
    integration = db.session.get(Integration, integration_id)
    if integration is None or not integration.is_active or unfinished_import(integration_id) is not None:
        return
    run = create_import_run(integration, "schedule")
    request_flushes(run_import(run, INCREMENTAL), "schedule")


def request_flushes(tiktok_integration_ids: set[int], trigger: str) -> None:
    for tiktok_integration_id in tiktok_integration_ids:
        request_flush(tiktok_integration_id, trigger)
