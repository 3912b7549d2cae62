"""Importing a TikTok shop's catalog in a worker."""
from __future__ import annotations

from ..models import Integration
from ..sync import runs
from ..sync.catalog import tiktok_import as tiktok_importer
from . import app_job, enqueue

IMPORT_TIMEOUT = 3 * 3600  # seconds; a 100k-SKU shop pages through at TikTok's rate


@app_job
def import_tiktok_catalog(integration_id: int, run_id: int | None = None, trigger: str = "manual") -> str | None:
    run = tiktok_importer.import_catalog(integration_id, run_id, trigger)
    return run.status if run else None


def queue_tiktok_import(integration: Integration, trigger: str = "manual") -> int:
    """Queue an import of the shop's TikTok catalog; returns its sync run id (status queued) for progress."""
    run_id = runs.start_run(integration.tenant_id, "import", trigger, integration_id=integration.id, status="queued")
    enqueue(import_tiktok_catalog, integration.id, run_id, trigger, job_timeout=IMPORT_TIMEOUT,
            description=f"Import TikTok catalog of integration {integration.id}")
    return run_id
