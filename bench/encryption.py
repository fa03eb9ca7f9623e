"""What sealing personal parts costs the roster import: students per second with and without
encryption, for the import as the CLI runs it (`import`, the goal: at least 0.90) and for the
assistance service's command processing alone (its lower bound).

Both sides decide, store and answer the same roster (fresh students, batches of 250 as the
CLI sends), each in a store of its own; one seals each personal part with the student's data
key (made, wrapped and stored with the events, AES-256-GCM), the other stores it in clear.
The whole import adds the NATS hop, the CLI's side and the relay, which cost both the same.

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

import nats
from pydantic_core import to_json

from contracts.files.roster import parse_roster
from contracts.files.sample_roster import sample_rows, to_csv
from services.assistance.app import build_processor
from services.assistance.app import configure as configure_assistance
from services.cli.aid import import_roster
from services.cli.common import Issuer
from shared.commandbus import CommandClient, new_command
from shared.db import RawJson, create_pool
from shared.eventstore import EventStore, NewEvent
from shared.gc_tuning import freeze_startup_objects, tune_gc_for_batches
from shared.group_commit import GroupCommit
from shared.logging import configure_logging
from shared.processor import CommandProcessor
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
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
    whole = await measure_import(server_url, nats_url, students + 1, rounds + 2)
    return {
        "import": whole,
        "students_per_round": students,
        "rounds": rounds,
        "registrations_per_s_sealed": round(registered / spent[True]),
        "registrations_per_s_in_clear": round(registered / spent[False]),
        "ratio_per_round": [round(x, 3) for x in per_round],
        "ratio_summed": round(spent[False] / spent[True], 3),
        "ratio_cpu": round(cpu[False] / cpu[True], 3),
        "ratio": round(ratio, 3),
    }


@contextlib.asynccontextmanager
async def _service(server_url: str, nats_url: str, sealed: bool) -> AsyncIterator[CommandClient]:
    """The assistance service running here (endpoint, relay) on a sandbox of its own, sealing
    or not, and a client of it as the CLI's."""
    box = await create_sandbox(nats_url, server_url, prefix="bence")
    settings = Settings(
        nats_url=box.nats_url, database_url=box.database_url, namespace=box.namespace
    )

    async def configure(runtime: ServiceRuntime) -> None:
        await configure_assistance(runtime)
        if not sealed:
            for endpoint in runtime.endpoints:
                p = endpoint.grouped.processor
                endpoint.grouped = GroupCommit(_InClear(p.store, p.handlers, p.permissions))

    runtime = await start_service("assistance", configure, settings)
    nc = await nats.connect(box.nats_url)
    try:
        yield CommandClient(nc, "assistance", box.namespace, timeout=60)
    finally:
        await nc.close()
        await runtime.close()
        await drop_sandbox(box)


async def measure_import(
    server_url: str, nats_url: str, students: int, rounds: int
) -> dict[str, Any]:
    """The roster import as the CLI runs it (`import_roster`: requests of 250, four in flight,
    through NATS to the service, whose relay publishes meanwhile), with and without sealing:
    chunks of 1,000 lines timed in turns as in `measure`. The whole path, as a department
    sees it; `measure`'s ratio, the service's processing alone, is its lower bound."""
    configure_logging("warning", False)  # a service's debug lines are not printed either
    spent = {True: 0.0, False: 0.0}
    pairs: list[float] = []
    issuer = Issuer("aid_center")
    for r in range(rounds):
        rows = sample_rows("610831", seed=2000 + r)
        while len(rows) < students:
            rows += sample_rows("610831", seed=2000 + r + len(rows))
        lines = list(parse_roster(to_csv(rows[:students]).encode()))
        async with (
            _service(server_url, nats_url, sealed=True) as sealing,
            _service(server_url, nats_url, sealed=False) as clear,
        ):
            for client in (sealing, clear):  # caches warm
                await import_roster(client, lines[:1], issuer, lambda n: None)
            freeze_startup_objects()
            for n, start in enumerate(range(1, len(lines), 4 * BATCH)):
                chunk = lines[start : start + 4 * BATCH]
                order = (True, False) if (n + r) % 2 == 0 else (False, True)
                pair = {}
                for sealed in order:
                    started = time.perf_counter()
                    outcome = await import_roster(
                        sealing if sealed else clear, chunk, issuer, lambda n: None
                    )
                    pair[sealed] = time.perf_counter() - started
                    assert not outcome.rejected, outcome.rejected[:1]
                    spent[sealed] += pair[sealed]
                pairs.append(pair[False] / pair[True])
    imported = rounds * (students - 1)
    ratio = statistics.median(pairs)
    return {
        "students_per_s_sealed": round(imported / spent[True]),
        "students_per_s_in_clear": round(imported / spent[False]),
        "ratio_summed": round(spent[False] / spent[True], 3),
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
