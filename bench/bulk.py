"""Bulk work as a department does it (the CLI's own functions): a roster imported from CSV,
then a term's aid granted to every student; and how long after the last grant's reply every
read model (through the outbox, JetStream and the projection service) holds all of it.

Its sandbox is kept for the later sections (`bench.kept["bulk"]`): the projection catch-up and
rebuild read its stream, the province slice copies its events."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import nats

from bench.common import Bench, Timer, say, service_ready, wait_until
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from contracts.subjects import stream_name
from services.cli import aid
from shared.commandbus import CommandClient

COUNTIES = ("610831", "610802", "610803", "610821", "610822", "610824")
TERM = "2017-autumn"
ASSISTANCE_READ_MODELS = ("aid_coverage", "aid_coordination", "audit")


async def measure(bench: Bench) -> dict[str, Any]:
    counties = COUNTIES[: max(1, round(3 * bench.scale))]
    box = await bench.keep("bulk", "bulk")
    with (
        bench.process("services.assistance", box),
        bench.process("services.projection", box),
    ):
        nc = await nats.connect(box.nats_url)
        pool = await asyncpg.create_pool(box.database_url, min_size=1, max_size=2)
        try:
            client = CommandClient(nc, "assistance", box.namespace, timeout=60)
            await wait_until(lambda: service_ready(client), timeout=60)
            out = await _import_and_grant(client, pool, counties)
            complete = Timer()
            await wait_until(lambda: _complete(pool, nc, box.namespace), 600, 0.05)
            out["complete_after_s"] = complete.elapsed
            say(f"  every read model complete {complete.elapsed:.1f} s after the last reply")
            return out
        finally:
            await pool.close()
            await nc.close()


async def _import_and_grant(
    client: CommandClient, pool: asyncpg.Pool, counties: tuple[str, ...]
) -> dict[str, Any]:
    rows = [row for i, c in enumerate(counties) for row in sample_rows(c, seed=i)]
    roster = to_csv(rows)
    say(f"bulk: roster import of {len(rows)} students ({len(counties)} counties) ...")
    issuer = aid.Issuer("aid_center")
    started = time.perf_counter()
    lines = list(parse_roster(roster.encode()))
    outcome = await aid.import_roster(client, lines, issuer, lambda n: None)
    imported = time.perf_counter() - started
    if outcome.counts["registered"] != len(lines):
        raise RuntimeError(f"the roster import did not register everyone: {outcome.counts}")
    events = await pool.fetchval("SELECT count(*) FROM assistance.events")

    say(f"bulk: {TERM} aid granted to every student ...")
    started = time.perf_counter()
    for county in counties:
        ids = await aid.registered_students(client, county)
        await aid.grant_aid(client, ids, TERM, issuer, lambda n: None)
    granted = time.perf_counter() - started
    total = await pool.fetchval("SELECT count(*) FROM assistance.events")
    out = {
        "students": len(lines),
        "import_students_per_s": len(lines) / imported,
        "import_events": events,
        "import_events_per_s": events / imported,
        "grant_students_per_s": len(lines) / granted,
        "grant_events_per_s": (total - events) / granted,
        "events": total,
        "students_per_county": sum(PILOT_COUNTS.values()),
    }
    say(f"  import {out['import_events_per_s']:,.0f} events/s,"
        f" grant {out['grant_events_per_s']:,.0f} events/s")  # fmt: skip
    return out


async def _complete(pool: asyncpg.Pool, nc: nats.NATS, namespace: str) -> bool:
    """The outbox is empty and every read model of the assistance stream has its last event."""
    if await pool.fetchval("SELECT EXISTS (SELECT 1 FROM assistance.outbox)"):
        return False
    info = await nc.jetstream().stream_info(stream_name("assistance", namespace))
    rows = await pool.fetch(
        "SELECT projection, stream_seq FROM reporting.projection_checkpoints"
        " WHERE source = 'assistance'"
    )
    reached = {r["projection"]: r["stream_seq"] for r in rows}
    return all(reached.get(p, 0) >= info.state.last_seq for p in ASSISTANCE_READ_MODELS)
