"""Run every benchmark in bench/, one after another, and print a summary of their figures.

    python -m bench            # documented default sizes (make bench)
    python -m bench --quick    # smaller sizes, for a check that each still runs
    python -m bench --only webhook_ingest noop_sync

Each benchmark runs in a process of its own (they set their own environment and some
measure their own peak memory) with its output shown as it comes; the summary repeats
the lines that carry figures, with the date and the machine's size, because figures
from a 2-CPU machine shared with other work are not those of a quiet 16-CPU one.
See bench/README.md for what each figure means and its baseline.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    name: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    figures: str  # regex: the output lines that carry this benchmark's figures


BENCHMARKS = (
    Benchmark("import_catalog", ("--variants", "50000"), ("--variants", "5000"),
              r"^(catalog:|export|import|re-import|floor|ratio|peak RSS)"),
    Benchmark("webhook_ingest", ("--deliveries", "20000"), ("--deliveries", "3000"),
              r"^(gunicorn|bare WSGI|trivial route|intake|ratio|after the duplicates|aim)"),
    Benchmark("push_latency", ("--changes", "300"), ("--changes", "60"),
              r"^(run\s+p50|debounce|2 workers|aim|\d+ stock changes)"),
    Benchmark("order_latency", ("--orders", "300", "--rate", "5", "--burst", "50"),
              ("--orders", "60", "--rate", "5", "--burst", "20"), r"^(steady|burst|baseline|ratio|aim|\d+ TikTok sales)"),
    Benchmark("oversell", ("--skus", "200", "--gaps", "2", "10"), ("--skus", "40", "--gaps", "2", "10"),
              r"^(\s+[\d.]+ s\s+\d|gap|aim|\d+ SKUs)"),
    Benchmark("noop_sync", ("--links", "20000"), ("--links", "2000"), r"^(links|scheduled sync|bare SELECT|ratio)"),
    Benchmark("publish", ("--products", "1000"), ("--products", "100"),
              r"^(catalog:|wall|calls per|shopify:|peak RSS|consistency)"),
    # pages has fixed sizes (50,000 variants, 20,000 links): its budget is stated at that size.
    Benchmark("pages", (), (), r"^(filled|page|/|every|over the)"),
    Benchmark("live_requests", ("--seconds", "60"), ("--seconds", "20"), r"^(today|ours|ratio)"),
)
GENERIC_FIGURES = r"(ratio|/s|\bms\b|\bp\d\d\b|aim)"


def _all_benchmarks() -> list[Benchmark]:
    """The known ones in their order, then any other module in bench/ at its own defaults."""
    present = {path.stem for path in HERE.glob("*.py") if not path.stem.startswith("_")}
    known = [b for b in BENCHMARKS if b.name in present]
    others = sorted(present - {b.name for b in BENCHMARKS})
    return known + [Benchmark(name, (), (), GENERIC_FIGURES) for name in others]


def _machine() -> str:
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    return (f"{os.cpu_count()} CPUs (nproc), {memory_kb / 1024 / 1024:.1f} GiB memory, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f} at the start")


def _run(benchmark: Benchmark, quick: bool) -> tuple[int, float, list[str]]:
    arguments = benchmark.quick if quick else benchmark.full
    command = [sys.executable, "-m", f"bench.{benchmark.name}", *arguments]
    print(f"\n=== {benchmark.name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    pattern = re.compile(benchmark.figures)
    figures, last = [], ""
    for line in process.stdout:
        print(line, end="", flush=True)
        if pattern.search(line.strip()):
            figures.append(line.rstrip())
        last = line.rstrip() or last
    code = process.wait()
    if code != 0:
        figures.append(f"last line of output: {last}")
    return code, time.monotonic() - started, figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (see bench/README.md)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run just these benchmarks")
    args = parser.parse_args(argv)
    benchmarks = [b for b in _all_benchmarks() if not args.only or b.name in args.only]
    unknown = set(args.only or ()) - {b.name for b in benchmarks}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")

    started_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = _machine()
    results = [(benchmark, *_run(benchmark, args.quick)) for benchmark in benchmarks]

    print(f"\n=== Summary: {started_at}, {'quick' if args.quick else 'full'} sizes")
    print(f"machine: {machine}; load average {os.getloadavg()[0]:.1f} at the end")
    for benchmark, code, seconds, figures in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"\n{benchmark.name:16} {status}, {seconds:.0f} s, "
              f"{' '.join(benchmark.quick if args.quick else benchmark.full) or 'fixed sizes'}")
        for line in figures:
            print(f"    {line}")
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
