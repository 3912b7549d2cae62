"""Sync runs: the progress of one import, push or reconcile."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from ..models import SyncRun
from ..models.sync import RUN_KINDS, RUN_STATUSES, TRIGGERS
from ..tenancy import get_or_404
from .fields import ID

blp = Blueprint("api_sync_runs", __name__, url_prefix="/api/sync-runs",
                description="Progress of imports and pushes.")


class SyncRunSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    integration_id = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(RUN_KINDS)})
    trigger = ma.fields.String(required=True, metadata={"enum": list(TRIGGERS)})
    status = ma.fields.String(required=True, metadata={"enum": list(RUN_STATUSES)})
    dry_run = ma.fields.Boolean(required=True)
    total = ma.fields.Integer(required=True)
    done = ma.fields.Integer(required=True)
    failed = ma.fields.Integer(required=True)
    skipped = ma.fields.Integer(required=True)
    percent = ma.fields.Integer(required=True)
    is_finished = ma.fields.Boolean(required=True)
    message = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    started_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)


@blp.get(f"/<{ID}:run_id>")
@blp.response(200, SyncRunSchema)
def get_run(run_id: int):
    return get_or_404(SyncRun, run_id)
