"""Scratch PostgreSQL databases: each benchmark runs on a fresh database of its own."""
from __future__ import annotations

import os

import psycopg

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database(name: str) -> str:
    """Drop and create `name`; returns its URL."""
    drop_database(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def measure_then_report(database: str, measure, report, args) -> None:
    """measure(args) on the scratch `database`, dropped afterwards whatever happens, then report(results, args)."""
    try:
        results = measure(args)
    finally:
        drop_database(database)
    report(results, args)
