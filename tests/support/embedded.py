"""The embedded default run as a new user runs it (`make run`): SQLite, no Redis, the sandbox mounted, jobs in
the web process, in a subprocess on a free port."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# What the test run exports for its own app; a new user's shell has none of it.
TEST_SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "PUBLIC_URL", "SANDBOX_URL",
                 "SHOPSYNC_SANDBOX", "SHOPSYNC_SANDBOX_MOUNT", "RATELIMIT_AUTH", "FLUSH_DEBOUNCE_SECONDS",
                 "MAIL_ENABLED", "SHOPSYNC_INSTANCE_PATH")


FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def environment(instance: Path, port: int, code: Path = ROOT) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TEST_SETTINGS}
    env.update(SHOPSYNC_INSTANCE_PATH=str(instance), PUBLIC_URL=f"http://127.0.0.1:{port}", PYTHONPATH=str(code))
    return env


def wait_for(check, what: str, timeout: float = 90.0):
    """Poll `check` until it returns something true (returned), failing with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@contextmanager
def serving(instance: Path, port: int, expected_errors: tuple[str, ...] = (), code: Path = ROOT):
    """`make run` as a new user runs it: migrate, then serve; stopped with SIGTERM as a process manager would.

    The server's output is kept in instance/server.log; a traceback in it fails the test unless it ends in one
    of `expected_errors` (a test that injects platform faults expects the retried job's own traceback).
    `code` is the checkout to run (a benchmark runs an older one beside this one)."""
    env = environment(instance, port, code)
    subprocess.run([*FLASK, "db", "upgrade"], cwd=code, env=env, check=True, capture_output=True, timeout=120)
    log = open(instance / "server.log", "wb")
    server = subprocess.Popen([*FLASK, "shopsync", "serve", "--port", str(port)], cwd=code, env=env,
                              stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    try:
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()
    text = (instance / "server.log").read_text(errors="replace")
    unexpected = [block for block in text.split("Traceback (most recent call last):")[1:]
                  if not any(re.search(rf"^\S*{re.escape(name)}: ", block, re.M) for name in expected_errors)]
    assert not unexpected, "Traceback (most recent call last):" + unexpected[0][:4000]


