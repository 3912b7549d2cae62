"""A real `rq worker --with-scheduler` subprocess (ShopSync's worker class, as in production) on the test Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from rq import Worker

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("high", "default", "low")


@contextmanager
def running_worker(timeout: float = 30.0):
    """Start a worker with this process's environment; yields the Popen once it has registered."""
    url = os.environ["REDIS_URL"]
    name = f"test-worker-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/rq"), "worker", "--with-scheduler", "-w", "shopsync.jobs.worker.ShopSyncWorker",
         "--url", url, "--name", name,
         "--logging_level", "WARNING", *QUEUES],
        cwd=ROOT, env=os.environ.copy(), start_new_session=True)
    connection = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while not any(w.name == name for w in Worker.all(connection=connection)):
            if process.poll() is not None:
                raise RuntimeError(f"rq worker exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("rq worker did not register in time")
            time.sleep(0.1)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """SIGTERM lets the worker finish its job; SIGKILL takes down the job's work-horse process too."""
    if process.poll() is None:
        if sig == signal.SIGKILL:
            for child in _children(process.pid):  # the work-horse runs in its own session
                os.kill(child, signal.SIGKILL)
            process.kill()
        else:
            process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def rq_worker(app):
    with running_worker() as process:
        yield process


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
