"""Wiring of the alerts service: its store and stream, and the detector sweeping regularly."""

from __future__ import annotations

import asyncio
import contextlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import structlog

from contracts.subjects import stream_name
from services.alerts import domain
from services.alerts.detector import Detector
from services.alerts.rules import RULES
from shared.db import create_pool
from shared.decider import CommandHandler
from shared.eventstore import EventStore
from shared.processor import CommandProcessor
from shared.service import ServiceRuntime

SERVICE = "alerts"
WORK_STREAMS = ("assistance", "staffing", "pairing", "evaluation")
PERMISSIONS = Path(__file__).with_name("permissions.toml")
log = structlog.get_logger()


def build_processor(store: EventStore) -> CommandProcessor:
    handlers = {
        "RaiseAlert": CommandHandler(domain.ALERT, lambda c: c.alert_key, domain.raise_alert),
        "ResolveAlert": CommandHandler(domain.ALERT, lambda c: c.alert_key, domain.resolve),
    }
    with PERMISSIONS.open("rb") as f:
        permissions = {k: frozenset(v) for k, v in tomllib.load(f).items()}
    return CommandProcessor(store, handlers, permissions)


async def configure(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    reporting = await create_pool(
        settings.reporting_database_url or runtime.database_url, max_size=2, name="eduplan-alerts"
    )
    js = runtime.relay_nats.jetstream()

    async def read_models_settled() -> bool:
        """Every read model has read its work-stream sources to their end (none built yet:
        nothing to judge, the rules find nothing)."""
        try:
            rows = await reporting.fetch(
                "SELECT source, min(stream_seq) AS reached FROM reporting.projection_checkpoints"
                " WHERE source = ANY($1::text[]) GROUP BY source",
                list(WORK_STREAMS),
            )
        except asyncpg.UndefinedTableError:
            return True
        for row in rows:
            info = await js.stream_info(stream_name(row["source"], runtime.namespace))
            if row["reached"] < info.state.last_seq:
                return False
        return True

    detector = Detector(
        build_processor(runtime.store), reporting, RULES, settled=read_models_settled
    )

    async def sweep_regularly() -> None:
        try:
            while not runtime.stop.is_set():
                try:
                    await detector.sweep(datetime.now(UTC).date())
                except Exception as exc:
                    log.warning("alerts_sweep_failed", error=repr(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(runtime.stop.wait(), settings.alerts_interval)
        finally:
            await reporting.close()

    runtime.tasks.append(asyncio.create_task(sweep_regularly(), name="alerts-sweep"))
