"""What sealing personal parts costs the roster import: registrations per second with and
without encryption, through the assistance service's own command processing.

Both runs decide, store and answer the same roster (fresh students, batches of 250 as the CLI
sends); one seals each personal part with the student's data key (made, wrapped and stored in
one batch per request, AES-256-GCM), the other stores it in clear. The NATS hop the CLI adds
costs both the same, so this ratio is the lower bound of the end-to-end one. Runs alternate,
each on a sandbox of its own; the median of each side is compared. The goal: at least 0.90.

`python -m bench.encryption [--students N] [--rounds R]`, or as a section of `make bench`
(`measure(bench)`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from services.assistance.app import build_processor
from shared.commandbus import new_command
from shared.db import RawJson, create_pool
from shared.eventstore import EventStore, NewEvent
from shared.processor import CommandProcessor
from shared.testing import create_sandbox, drop_sandbox, server_state_dir, test_servers

GOAL = 0.90
BATCH = 250


class _InClear(CommandProcessor):
    """The processor as it was before sealing: personal parts stored as decided."""

    async def _sealed(self, decisions: list[Any]) -> list[Any]:
        for d in decisions:
            if d.write is None:
                continue
            events = [
                NewEvent(
                    e.event_id,
                    e.event_type,
                    e.schema_version,
                    RawJson(json.dumps(e.data, ensure_ascii=False, separators=(",", ":"))),
                )
                if isinstance(e.data, dict)
                else e
                for e in d.write.events
            ]
            object.__setattr__(d.write, "events", events)
        return decisions


def _commands(students: int, seed: int) -> list[Any]:
    rows = sample_rows("610831", seed=seed)
    while len(rows) < students:
        rows += sample_rows("610831", seed=seed + len(rows))
    lines = list(parse_roster(to_csv(rows[:students]).encode()))
    return [new_command(ln.value, department="aid_center") for ln in lines if ln.value is not None]


async def _one_run(server_url: str, nats_url: str, students: int, sealed: bool, seed: int) -> float:
    box = await create_sandbox(nats_url, server_url, prefix="benc")
    pool = await create_pool(box.database_url, max_size=2)
    try:
        store = EventStore(pool, "assistance")
        await store.setup()
        processor, _ = await build_processor(store)
        if not sealed:
            clear = _InClear(store, processor.handlers, processor.permissions)
            processor = clear
        commands = _commands(students, seed)
        await processor.handle(commands[:1])  # keys, migrations and caches warm
        started = time.perf_counter()
        for start in range(1, len(commands), BATCH):
            results = await processor.handle(commands[start : start + BATCH])
            assert all(r.status == "accepted" for r in results), results[0]
        elapsed = time.perf_counter() - started
        stored = await pool.fetchval(
            "SELECT count(*) FROM assistance.events WHERE event_type = 'StudentRegistered'"
        )
        assert stored == len(commands), (stored, len(commands))
        return (len(commands) - 1) / elapsed
    finally:
        await pool.close()
        await drop_sandbox(box)


async def measure(bench: Any = None, students: int = 3000, rounds: int = 3) -> dict[str, Any]:
    """Registrations per second with and without sealing; `bench` (bench.common.Bench) gives
    the servers and the scale when run as a section of `make bench`."""
    if bench is not None:
        server_url, nats_url = bench.server_url, bench.nats_url
        students = bench.sized(students, least=500)
    else:
        endpoints = test_servers(server_state_dir("eduplan-bench-encryption-"))
        server_url, nats_url = endpoints.database_url, endpoints.nats_url
    with_sealing: list[float] = []
    in_clear: list[float] = []
    for r in range(rounds):
        for sealed in (r % 2 == 0, r % 2 == 1):  # alternate which goes first
            rate = await _one_run(server_url, nats_url, students, sealed, seed=1000 * r + sealed)
            (with_sealing if sealed else in_clear).append(rate)
    sealed_rate = statistics.median(with_sealing)
    clear_rate = statistics.median(in_clear)
    ratio = sealed_rate / clear_rate
    return {
        "students_per_run": students,
        "rounds": rounds,
        "registrations_per_s_sealed": round(sealed_rate),
        "registrations_per_s_in_clear": round(clear_rate),
        "runs_sealed": [round(x) for x in with_sealing],
        "runs_in_clear": [round(x) for x in in_clear],
        "ratio": round(ratio, 3),
        "goal": GOAL,
        "meets_goal": ratio >= GOAL,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(students=args.students, rounds=args.rounds)), indent=2))


if __name__ == "__main__":
    main()
