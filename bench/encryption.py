"""What sealing personal parts costs the roster import: registrations per second with and
without encryption, through the assistance service's own command processing.

Both sides decide, store and answer the same roster (fresh students, batches of 250 as the
CLI sends), each in a store of its own; one seals each personal part with the student's data
key (made, wrapped and stored in one batch per request, AES-256-GCM), the other stores it in
clear. The NATS hop the CLI adds costs both the same, so this ratio is the lower bound of
the end-to-end one. The goal: at least 0.90.

`python -m bench.encryption [--students N] [--rounds R]`, or as a section of `make bench`
(`measure(bench)`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

from pydantic_core import to_json

from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from services.assistance.app import build_processor
from shared.commandbus import new_command
from shared.db import RawJson, create_pool
from shared.eventstore import EventStore, NewEvent
from shared.gc_tuning import freeze_startup_objects, tune_gc_for_batches
from shared.processor import CommandProcessor
from shared.testing import create_sandbox, drop_sandbox, server_state_dir, test_servers

GOAL = 0.90
BATCH = 250


class _InClear(CommandProcessor):
    """The processor as it was before sealing: personal parts stored as decided."""

    async def _sealed(self, decisions: list[Any], known: Any) -> tuple[list[Any], None]:
        for d in decisions:
            if d.write is None:
                continue
            events = [
                NewEvent(
                    e.event_id,
                    e.event_type,
                    e.schema_version,
                    RawJson(to_json(e.data).decode()),
                )
                if isinstance(e.data, dict)
                else e
                for e in d.write.events
            ]
            object.__setattr__(d.write, "events", events)
        return decisions, None


def _commands(students: int, seed: int) -> list[Any]:
    rows = sample_rows("610831", seed=seed)
    while len(rows) < students:
        rows += sample_rows("610831", seed=seed + len(rows))
    lines = list(parse_roster(to_csv(rows[:students]).encode()))
    return [new_command(ln.value, department="aid_center") for ln in lines if ln.value is not None]


@contextlib.asynccontextmanager
async def _store(server_url: str, nats_url: str, sealed: bool) -> AsyncIterator[Any]:
    """An assistance processor on a sandbox of its own, sealing or not."""
    box = await create_sandbox(nats_url, server_url, prefix="benc")
    pool = await create_pool(box.database_url, max_size=2)
    try:
        store = EventStore(pool, "assistance")
        await store.setup()
        processor, _ = await build_processor(store)
        if not sealed:
            processor = _InClear(store, processor.handlers, processor.permissions)
        yield processor
    finally:
        await pool.close()
        await drop_sandbox(box)


async def _timed(processor: CommandProcessor, commands: list[Any]) -> tuple[float, float]:
    """Wall and this process's CPU seconds of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    results = await processor.handle(commands)
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    assert all(r.status == "accepted" for r in results), results[0]
    return elapsed, used


async def measure(bench: Any = None, students: int = 3000, rounds: int = 3) -> dict[str, Any]:
    """Registrations per second with and without sealing; `bench` (bench.common.Bench) gives
    the servers and the scale when run as a section of `make bench`.

    The machine is shared, so the two sides are timed batch by batch in turns (which side
    goes first alternates), `rounds` times over fresh stores: load on the machine falls on
    both alike. `ratio` is the median over batches of (time in clear / time sealed), robust
    to a spike in either; the summed ratio and the service's own CPU ratio beside it."""
    if bench is not None:
        server_url, nats_url = bench.server_url, bench.nats_url
        students = bench.sized(students, least=500)
    else:
        endpoints = test_servers(server_state_dir("eduplan-bench-encryption-"))
        server_url, nats_url = endpoints.database_url, endpoints.nats_url
    tune_gc_for_batches()  # as the service processes do
    spent = {True: 0.0, False: 0.0}
    cpu = {True: 0.0, False: 0.0}
    pairs: list[float] = []
    per_round: list[float] = []
    registered = 0
    for r in range(rounds):
        commands = _commands(students + 1, seed=1000 + r)
        async with (
            _store(server_url, nats_url, sealed=True) as sealing,
            _store(server_url, nats_url, sealed=False) as clear,
        ):
            for processor in (sealing, clear):  # migrations, keys and caches warm
                await processor.handle(commands[:1])
            freeze_startup_objects()  # as a service process does once it has started
            this_round = {True: 0.0, False: 0.0}
            for n, start in enumerate(range(1, len(commands), BATCH)):
                batch = commands[start : start + BATCH]
                order = (True, False) if (n + r) % 2 == 0 else (False, True)
                pair = {}
                for sealed in order:
                    pair[sealed], used = await _timed(sealing if sealed else clear, batch)
                    this_round[sealed] += pair[sealed]
                    cpu[sealed] += used
                pairs.append(pair[False] / pair[True])
            registered += len(commands) - 1
            per_round.append(this_round[False] / this_round[True])
            for side in spent:
                spent[side] += this_round[side]
    ratio = statistics.median(pairs)
    return {
        "students_per_round": students,
        "rounds": rounds,
        "registrations_per_s_sealed": round(registered / spent[True]),
        "registrations_per_s_in_clear": round(registered / spent[False]),
        "ratio_per_round": [round(x, 3) for x in per_round],
        "ratio_summed": round(spent[False] / spent[True], 3),
        "ratio_cpu": round(cpu[False] / cpu[True], 3),
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
