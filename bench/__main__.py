"""`make bench` (`python -m bench`): every section in one run on the same servers, then the
table, the JSON results and the latency chart.

A section is a module of this package with `async def measure(bench: Bench) -> dict`; it
returns its figures (numbers, or lists and dicts of them). Adding one is one line in SECTIONS.
`--only raw,relay` runs some; `--scale 0.5` makes every workload half as big.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Bench, load_average, say
from bench.report import chart, table
from shared.logging import configure_logging
from shared.testing import server_state_dir, test_servers

SECTIONS = (
    "raw",
    "peer",
    "commands",
    "relay",
    "bulk",
    "encryption",
    "projection",
    "province",
)
"""Run in this order: raw limits first, the peer before ours, so each ratio has its pair."""
RESULTS = Path("bench/results")


async def run(names: list[str], scale: float) -> dict[str, Any]:
    configure_logging("WARNING")
    endpoints = test_servers(server_state_dir("eduplan-bench-servers-"))
    bench = Bench(
        endpoints.nats_url,
        endpoints.database_url,
        Path(tempfile.mkdtemp(prefix="eduplan-bench-")),
        scale,
    )
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {_cpus()} CPUs, {_memory()}",
        "python": platform.python_version(),
        "scale": scale,
        "load_average_before": load_average(),
        "seconds": {},
        "failed": {},
    }
    try:
        for name in names:
            began = time.perf_counter()
            try:
                module = importlib.import_module(f"bench.{name}")
                bench.results[name] = await module.measure(bench)
            except Exception as exc:  # one failed section must not hide the others' figures
                say(f"section {name} failed: {exc!r}")
                traceback.print_exc()
                meta["failed"][name] = repr(exc)
            meta["seconds"][name] = round(time.perf_counter() - began, 1)
            say(f"  {name}: {meta['seconds'][name]} s, load {load_average()[0]:.2f}")
    finally:
        await bench.drop_kept()
        endpoints.stop_all()
    meta["load_average_after"] = load_average()
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    return {"meta": meta, **bench.results}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--scale", type=float, default=1.0, help="workload size factor")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}; known: {', '.join(SECTIONS)}")
    results = asyncio.run(run(names, args.scale))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["meta"]["measured_at"].replace(":", "")
    for path in (RESULTS / f"{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=2, default=str))
    print(table(results))
    drawn = chart(results, RESULTS / "latency.svg")
    say(f"results: {RESULTS / 'latest.json'}" + (f", chart: {drawn}" if drawn else ""))


def _cpus() -> int:
    return os.cpu_count() or 0


def _memory() -> str:
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return "memory unknown"
    return f"{kb / 1024 / 1024:.0f} GiB"


if __name__ == "__main__":
    main()
