"""Sync runs: one row per push, import or reconcile, with live counters for progress bars."""
from __future__ import annotations

from sqlalchemy import update

from ..extensions import db
from ..models import SyncRun, utcnow


def start_run(tenant_id: int, kind: str, trigger: str, *, integration_id: int | None = None, total: int = 0,
              status: str = "running", dry_run: bool = False) -> int:
    """Create a run and commit it, so progress is visible to other processes at once."""
    now = utcnow()
    run = SyncRun(tenant_id=tenant_id, integration_id=integration_id, kind=kind, trigger=trigger, total=total,
                  status=status, dry_run=dry_run, started_at=now if status == "running" else None)
    db.session.add(run)
    db.session.commit()
    return run.id


def mark_running(run_id: int) -> None:
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "queued")
                       .values(status="running", started_at=utcnow()),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def count_run(run_id: int, done: int = 0, failed: int = 0, skipped: int = 0) -> None:
    """Bump the run's live counters in SQL, so concurrent jobs of one run never lose an update."""
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
        done=SyncRun.done + done, failed=SyncRun.failed + failed, skipped=SyncRun.skipped + skipped),
        execution_options={"synchronize_session": False})


def finish_run(run_id: int, message: str | None = None, status: str | None = None) -> SyncRun:
    """Close the run: succeeded, failed (nothing worked) or partial, from its counters. Commits."""
    run = db.session.get(SyncRun, run_id, populate_existing=True)
    if status:
        run.status = status
    elif run.failed and not run.done:
        run.status = "failed"
    elif run.failed:
        run.status = "partial"
    else:
        run.status = "succeeded"
    # Links that dropped out (paused, disconnected) after the run was counted are skipped, not pending forever.
    run.skipped = max(run.skipped, run.total - run.done - run.failed)
    run.message = message
    run.finished_at = utcnow()
    db.session.commit()
    return run
