"""Province scale on a generated slice: the bulk section's events (real ones, written by the
service) copied, each copy under a county code of its own, with new student and event ids,
until the slice holds `--scale` x 300,000 events, published to a stream of their own.

Every read model of that stream is rebuilt from sequence 1, one after another, and its time
extrapolated linearly to 10 M events (a rebuild reads each event once: linear unless an index
or a table stops fitting in memory, which the extrapolation cannot see); then every report
route is asked repeatedly on the province-sized read models, for the province and for one
county, and its p95 taken (downloads listed apart)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import asyncpg
import nats
from pydantic import ValidationError

from bench.common import Bench, percentile, say
from bench.projection import of_source, rebuild_seconds
from contracts.subjects import event_subject, stream_name
from services.projection.http import Download, HttpError
from services.projection.read_models import projections, routes
from shared.db import create_pool
from shared.gc_tuning import tune_gc_for_batches
from shared.jetstream import ensure_stream
from shared.projections import setup_projection

TARGET = 10_000_000
SCHEMA = "province"
"""In the bulk section's database, beside its key store (the personal parts stay sealed)."""
TERMS = ("2017-autumn", "2018-spring")
ASKED = 12


async def measure(bench: Bench) -> dict[str, Any]:
    source = bench.kept.get("bulk")
    if source is None:
        raise RuntimeError("the province slice copies the bulk section's events: run both")
    size = bench.sized(300_000, 20_000)
    tune_gc_for_batches()
    async with bench.sandbox("prov") as box:
        nc = await nats.connect(box.nats_url)
        pool = await create_pool(source.database_url, max_size=6, name="bench-province")
        try:
            originals = await _originals(source.database_url)
            say(f"province: generating {size} events from {len(originals)} recorded ones ...")
            events, counties = await _publish_slice(nc, box.namespace, originals, size)
            rebuilds: dict[str, Any] = {}
            for model in of_source("assistance"):
                seconds = await rebuild_seconds(pool, source.database_url, nc, [model], SCHEMA,
                                                box.namespace, "assistance", events,
                                                keep=True)  # fmt: skip
                rebuilds[model.name] = {
                    "seconds": seconds,
                    "events_per_s": events / seconds,
                    "extrapolated_10m_s": seconds * TARGET / events,
                }
                say(f"  rebuild {model.name}: {seconds:.1f} s,"
                    f" {rebuilds[model.name]['extrapolated_10m_s']:.0f} s at 10 M")  # fmt: skip
            async with pool.acquire() as conn:  # the tables of every other read model, empty
                for model in projections():
                    await setup_projection(conn, SCHEMA, model)
                # statistics, as autovacuum gathers them soon after a rebuild: without them
                # the planner takes a just-built table for empty (one report took 80 s)
                await conn.execute(
                    f'ANALYZE "{SCHEMA}".aid_students, "{SCHEMA}".aid_grants,'
                    f' "{SCHEMA}".aid_assessments, "{SCHEMA}".audit_events'
                )
            queries = await _queries(pool, counties)
        finally:
            await pool.close()
            await nc.close()
    reports = [q for q in queries.values() if not q["download"]]
    slowest = max(reports, key=lambda q: q["p95_ms"], default={"p95_ms": 0.0})
    return {
        "events": events,
        "counties": len(counties),
        "rebuilds": rebuilds,
        "slowest_rebuild_10m_s": max(r["extrapolated_10m_s"] for r in rebuilds.values()),
        "queries": queries,
        "slowest_query_p95_ms": slowest["p95_ms"],
    }


async def _originals(dsn: str) -> list[dict[str, Any]]:
    """The bulk section's events as published envelopes, in order."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT position, event_id, stream_id, stream_type, version, event_type,"
            " schema_version, county, data::text AS data, metadata::text AS metadata,"
            " recorded_at FROM assistance.events ORDER BY position"
        )
    finally:
        await conn.close()
    out = []
    for r in rows:
        m = json.loads(r["metadata"])
        out.append(
            {
                "event_id": str(r["event_id"]), "event_type": r["event_type"],
                "schema_version": r["schema_version"], "service": "assistance",
                "position": r["position"], "stream_id": r["stream_id"],
                "stream_type": r["stream_type"], "version": r["version"], "county": r["county"],
                "occurred_at": m["occurred_at"], "recorded_at": r["recorded_at"].isoformat(),
                "actor": m["actor"], "department": m["department"],
                "correlation_id": m["correlation_id"], "causation_id": m.get("causation_id"),
                "command_id": m.get("command_id"), "payload": json.loads(r["data"]),
            }
        )  # fmt: skip
    return out


async def _publish_slice(
    nc: nats.NATS, namespace: str, originals: list[dict[str, Any]], size: int
) -> tuple[int, list[str]]:
    """Copies of `originals`, each in a county of its own (codes 61xxxx) with new stream and
    event ids, published in order until `size` events; returns (published, counties)."""
    js = nc.jetstream()
    await ensure_stream(js, "assistance", namespace)
    texts = [json.dumps(e, ensure_ascii=False) for e in originals]
    counties: list[str] = []
    published, copy = 0, 0
    while published < size:
        county = f"6{copy // 100 + 1:02d}{copy % 100 + 1:03d}"
        counties.append(county)
        futures = []
        renamed: dict[str, str] = {}
        for original, text in zip(originals, texts, strict=True):
            if published >= size:
                break
            old = original["stream_id"]
            new = renamed.setdefault(old, str(uuid.uuid5(uuid.NAMESPACE_OID, f"{old}:{copy}")))
            key_id = ((original["payload"].get("personal") or {}).get("key_id")) or "\0"
            body = (
                text.replace(key_id, "\1")  # the sealed part keeps its key (and its person's)
                .replace(old, new)
                .replace("\1", key_id)
                .replace(original["event_id"], str(uuid.uuid4()))
                .replace(f'"{original["county"]}"', f'"{county}"')
            )
            subject = event_subject("assistance", county, original["stream_type"],
                                    original["event_type"], namespace)  # fmt: skip
            futures.append(await js.publish_async(subject, body.encode()))
            published += 1
            if len(futures) >= 2000:
                await asyncio.gather(*futures)
                futures = []
        await asyncio.gather(*futures)
        copy += 1
    info = await js.stream_info(stream_name("assistance", namespace))
    return int(info.state.last_seq), counties


def _parameter_sets(counties: list[str]) -> list[dict[str, str]]:
    """What a report is asked with, most specific first: the first its model accepts is used,
    for the whole province and for one county."""
    county = counties[len(counties) // 2]
    sets: list[dict[str, str]] = []
    for scope in ({}, {"county": county}):
        sets += [
            {"term": TERMS[0], **scope},
            {"school_year": "2017", **scope},
            {"revision": "2017", **scope},
            dict(scope),
        ]
    return sets


async def _queries(pool: asyncpg.Pool, counties: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, (route, _) in sorted(routes().items()):
        for scope in ("province", "county"):
            timings: list[float] = []
            params = await _accepted(route, pool, counties, scope)
            if params is None:
                continue
            answer: Any = None
            for _ in range(ASKED):
                started = time.perf_counter()
                answer = await route(pool, SCHEMA, dict(params))
                timings.append(time.perf_counter() - started)
            out[f"{path} ({scope})"] = {
                "params": params,
                "p50_ms": percentile(timings, 50) * 1000,
                "p95_ms": percentile(timings, 95) * 1000,
                # a file of up to 100,000 rows takes time in proportion: not a report query
                "download": isinstance(answer, Download),
            }
    slow = sorted(out.items(), key=lambda kv: -kv[1]["p95_ms"])[:5]
    say("  slowest reports: " + ", ".join(f"{k} {v['p95_ms']:.0f} ms" for k, v in slow))
    return out


async def _accepted(
    route: Any, pool: asyncpg.Pool, counties: list[str], scope: str
) -> dict[str, str] | None:
    candidates = _parameter_sets(counties)
    half = len(candidates) // 2
    for params in candidates[:half] if scope == "province" else candidates[half:]:
        try:
            await route(pool, SCHEMA, dict(params))
        except (ValidationError, HttpError, KeyError, ValueError):
            continue
        return params
    return None
