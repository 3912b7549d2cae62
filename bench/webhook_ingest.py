"""How many Shopify webhook deliveries the intake verifies, records and enqueues per second.

    python -m bench.webhook_ingest [--deliveries 20000] [--connections 8] [--per-connection 50] [--worker-class sync]

gunicorn (2 workers) serves wsgi:app on a free loopback port, on a fresh PostgreSQL
database migrated with `flask db upgrade` and a real Redis database of its own
(BENCH_REDIS_URL, db 15 by default), with one tenant and its Shopify store installed.
Closed-loop clients in separate processes (raw HTTP/1.1 over sockets so the client
costs little; each opens a new keep-alive connection every --per-connection requests, as
Shopify's many senders do, so the work spreads over both gunicorn workers) send correctly signed inventory_levels/update
deliveries, each with its own event id, to two endpoints of the same server:

  trivial  /bench/trivial, answered by a few lines of WSGI in front of the app (this
           module's bench_app): reads the body, answers 200. The floor set by gunicorn,
           the network stack and the clients themselves.
  intake   /webhooks/shopify, the real thing: HMAC over the raw body, headers checked,
           INSERT ... ON CONFLICT DO NOTHING into webhook_events and an RQ enqueue, both
           shared by the deliveries that arrived during the previous write (group commit), 200.

It prints deliveries per second and p50/p99 latency for both, and the ratio
intake/trivial. Afterwards it checks that every delivery is in webhook_events exactly
once and that the jobs on the high queue hold every recorded event exactly once, then re-sends
some deliveries and checks they are acknowledged without a second record or job.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "shopsync_bench_webhooks"
# Database 15 of the shared Redis (the test suite runs Redis servers of its own).
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SHOP = "bench-webhooks.myshopify.com"
SECRET = "sandbox-shopify-secret"
INTAKE_PATH = "/webhooks/shopify"
FLASK_TRIVIAL_PATH = "/bench/trivial"  # a route on the product app: every hook and extension runs
WSGI_TRIVIAL_PATH = "/bench/wsgi"  # answered before Flask: gunicorn, sockets and clients only
WORKERS = 2
WARMUP = 200  # per endpoint, before timing: imports, connection pools, statement caches
RESENT = 200  # duplicates sent after the timed runs
AIM_RATIO = 0.5
AIM_P99_MS = 50.0


def bench_app():
    """gunicorn factory ("bench.webhook_ingest:bench_app()"): the product app plus the two trivial endpoints."""
    from flask import request

    from shopsync.extensions import csrf
    from wsgi import app

    @csrf.exempt
    def bench_trivial():
        request.get_data()
        return "", 200

    app.add_url_rule(FLASK_TRIVIAL_PATH, view_func=bench_trivial, methods=["POST"])

    def application(environ, start_response):
        if environ["PATH_INFO"] == WSGI_TRIVIAL_PATH:
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)

    return application


# --- load generator ---------------------------------------------------------------------------

def _delivery(port: int, path: str, event_id: str, number: int) -> bytes:
    """One complete HTTP request, signed as Shopify signs an inventory_levels/update delivery."""
    from shopsync.sandbox.shopify.webhooks import sign

    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    item = 40_000_000 + number
    body = json.dumps({
        "inventory_item_id": item, "location_id": 7001, "available": number % 97, "updated_at": now,
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/7001?inventory_item_id={item}",
    }).encode()
    headers = {
        "Host": f"127.0.0.1:{port}", "Content-Type": "application/json", "Content-Length": str(len(body)),
        "User-Agent": "Shopify-Captain-Hook", "X-Shopify-Topic": "inventory_levels/update",
        "X-Shopify-Hmac-Sha256": sign(SECRET, body), "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-10", "X-Shopify-Webhook-Id": f"{event_id}-w",
        "X-Shopify-Event-Id": event_id, "X-Shopify-Triggered-At": now,
    }
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + body


def _exchange(connection: socket.socket, request: bytes) -> tuple[int, bool]:
    """Send one request, read the whole response; returns (status, server closes the connection)."""
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection before answering")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, closes = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closes = value.strip().lower() == b"close"
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection mid-body")
        rest += chunk
    return status, closes


def _client(port: int, requests: list[bytes], per_connection: int, ready, start, results) -> None:
    """One closed-loop client: the next delivery goes out as soon as the last one is answered."""
    latencies, statuses, connection = [], {}, None
    ready.release()
    start.wait()
    began = time.monotonic()
    for number, request in enumerate(requests):
        if connection is not None and number % per_connection == 0:
            connection.close()
            connection = None
        sent = time.monotonic()
        if connection is None:
            connection = socket.create_connection(("127.0.0.1", port))
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        status, closes = _exchange(connection, request)
        latencies.append(time.monotonic() - sent)
        statuses[status] = statuses.get(status, 0) + 1
        if closes:
            connection.close()
            connection = None
    ended = time.monotonic()
    if connection is not None:
        connection.close()
    results.put((began, ended, latencies, statuses))


def load(port: int, path: str, event_ids: list[str], connections: int, per_connection: int) -> dict:
    """Send every delivery over `connections` concurrent connections; throughput and latency."""
    requests = [_delivery(port, path, event_id, number) for number, event_id in enumerate(event_ids)]
    context = multiprocessing.get_context("spawn")
    ready, start, results = context.Semaphore(0), context.Event(), context.Queue()
    processes = [context.Process(target=_client,
                                   args=(port, requests[n::connections], per_connection, ready, start, results))
                 for n in range(min(connections, len(requests)))]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    start.set()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(latency for outcome in outcomes for latency in outcome[2])
    statuses: dict[int, int] = {}
    for outcome in outcomes:
        for status, count in outcome[3].items():
            statuses[status] = statuses.get(status, 0) + count
    seconds = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    return {"requests": len(latencies), "seconds": seconds, "per_second": len(latencies) / seconds,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "statuses": statuses}


# --- the server under test ---------------------------------------------------------------------

def _environment() -> dict[str, str]:
    import redis
    from cryptography.fernet import Fernet

    from bench._scratch import fresh_database

    database_url = fresh_database(BENCH_DB)
    redis.Redis.from_url(REDIS_URL).flushdb()
    return {**os.environ, "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SHOPSYNC_INSTANCE_PATH": tempfile.mkdtemp(prefix="shopsync-bench-"), "SHOPSYNC_SANDBOX": "1",
            "SHOPSYNC_SANDBOX_MOUNT": "0", "MAIL_ENABLED": "0", "SHOPIFY_API_SECRET": SECRET}


_INSTALL_STORE = """
from shopsync import create_app
from shopsync.extensions import db
from shopsync.models import Integration, Tenant
app = create_app()
with app.app_context():
    tenant = Tenant(name="Bench webhooks", shop_domain="{shop}")
    db.session.add(tenant)
    db.session.flush()
    db.session.add(Integration(tenant_id=tenant.id, platform="shopify", external_id="{shop}", name="{shop}"))
    db.session.commit()
"""


def _prepare(env: dict[str, str]) -> None:
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", _INSTALL_STORE.format(shop=SHOP)], env=env, cwd=ROOT, check=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_gunicorn(env: dict[str, str], worker_class: str, threads: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(WORKERS),
               "--worker-class", worker_class, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = subprocess.Popen(command + ["bench.webhook_ingest:bench_app()"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if probe.recv(64).startswith(b"HTTP/1.1 200"):
                    return server, port
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not become healthy within 30 s")


# --- checks afterwards -------------------------------------------------------------------------

def _recorded(env: dict[str, str]) -> tuple[int, int, set[int]]:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT delivery_id) FROM webhook_events "
                                       "WHERE delivery_id LIKE 'bench-%'").fetchone()
        ids = {row[0] for row in conn.execute("SELECT id FROM webhook_events")}
    return total, distinct, ids


def _enqueued() -> tuple[int, list[int]]:
    """How many jobs the high queue holds, and the event ids they will process (an id per event per job)."""
    import redis
    from rq import Queue
    from rq.job import Job

    connection = redis.Redis.from_url(REDIS_URL)
    job_ids = Queue("high", connection=connection).get_job_ids()
    event_ids = []
    for start in range(0, len(job_ids), 1000):
        event_ids += [event_id for job in Job.fetch_many(job_ids[start:start + 1000], connection=connection)
                      for event_id in job.args]
    return len(job_ids), event_ids


def _verify(env: dict[str, str], expected: int, label: str) -> bool:
    total, distinct, recorded_ids = _recorded(env)
    jobs, enqueued = _enqueued()
    once = total == distinct == expected
    queued = len(enqueued) == expected and set(enqueued) == recorded_ids
    print(f"{label}: webhook_events {total} rows, {distinct} distinct event ids (expected {expected}): "
          f"{'ok' if once else 'MISMATCH'}; high queue {jobs} jobs holding every recorded event once: "
          f"{'ok' if queued else 'MISMATCH'} ({expected / max(jobs, 1):.2f} deliveries per write)")
    return once and queued


def _line(name: str, figures: dict) -> str:
    return (f"{name:14} {figures['requests']:>7} deliveries in {figures['seconds']:6.2f} s = "
            f"{figures['per_second']:7.0f}/s   p50 {figures['p50_ms']:6.2f} ms   p99 {figures['p99_ms']:6.2f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=20_000, help="timed deliveries per endpoint")
    parser.add_argument("--connections", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--per-connection", type=int, default=50,
                        help="requests per keep-alive connection before the client opens a new one")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    args = parser.parse_args(argv)

    env = _environment()
    _prepare(env)
    server, port = _start_gunicorn(env, args.worker_class, args.threads)
    try:
        workers = f"{WORKERS} {args.worker_class} workers" + (
            f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        print(f"gunicorn {workers} on 127.0.0.1:{port}; {args.connections} clients, a new connection every {args.per_connection} requests; "
              f"{os.cpu_count()} CPUs shared by server, clients, PostgreSQL and Redis; "
              f"load average before: {os.getloadavg()[0]:.1f}")
        warm = [f"bench-warm-{n}" for n in range(WARMUP)]
        for path in (WSGI_TRIVIAL_PATH, FLASK_TRIVIAL_PATH, INTAKE_PATH):
            load(port, path, warm, args.connections, args.per_connection)
        raw = load(port, WSGI_TRIVIAL_PATH, [f"bench-wsgi-{n}" for n in range(args.deliveries)],
                   args.connections, args.per_connection)
        trivial = load(port, FLASK_TRIVIAL_PATH, [f"bench-trivial-{n}" for n in range(args.deliveries)],
                       args.connections, args.per_connection)
        timed = [f"bench-{n}" for n in range(args.deliveries)]
        intake = load(port, INTAKE_PATH, timed, args.connections, args.per_connection)
        print(_line("bare WSGI", raw))
        print(_line("trivial route", trivial))
        print(_line("intake", intake))
        ratio = intake["per_second"] / trivial["per_second"]
        print(f"ratio intake/trivial route: {ratio:.2f} (aim >= {AIM_RATIO}); "
              f"ratio intake/bare WSGI: {intake['per_second'] / raw['per_second']:.2f}; "
              f"intake p99 {intake['p99_ms']:.1f} ms (aim < {AIM_P99_MS:.0f} ms)")
        answered = all(figures["statuses"] == {200: args.deliveries} for figures in (raw, trivial, intake))
        if not answered:
            print(f"unexpected answers: bare WSGI {raw['statuses']}, trivial route {trivial['statuses']}, "
                  f"intake {intake['statuses']}")
        expected = WARMUP + args.deliveries
        consistent = _verify(env, expected, "after the timed run")
        resent = load(port, INTAKE_PATH, timed[:RESENT], args.connections, args.per_connection)
        print(f"{RESENT} deliveries re-sent: answered {resent['statuses']}")
        consistent = _verify(env, expected, "after the duplicates") and consistent and resent["statuses"] == {
            200: RESENT}
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    met = ratio >= AIM_RATIO and intake["p99_ms"] < AIM_P99_MS
    print("aim met" if met else "aim NOT met")
    return 0 if answered and consistent else 1


if __name__ == "__main__":
    sys.exit(main())
