"""Wiring of the alerts service: its store and stream, and the detector sweeping regularly.

The rules read the read models through the service's own pool (same database), or through a
small pool of their own on EDUPLAN_REPORTING_DATABASE_URL; they judge only settled work
streams (services/projection/alerts/settled.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import structlog

from services.projection.alerts import domain
from services.projection.alerts.detector import Detector
from services.projection.alerts.rules import RULES
from services.projection.alerts.settled import settled_check
from shared.db import close_pool, create_pool
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
    reporting = runtime.pool
    if settings.reporting_database_url:
        reporting = await create_pool(
            settings.reporting_database_url,
            max_size=settings.reporting_pool_size,
            name="eduplan-alerts-reporting",
            read_only=True,
        )
    settled = settled_check(
        runtime.relay_nats,
        reporting,
        WORK_STREAMS,
        runtime.namespace,
        settings.alerts_quiet_seconds,
    )
    detector = Detector(build_processor(runtime.store), reporting, RULES, settled=settled)

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
            if reporting is not runtime.pool:
                await close_pool(reporting)

    runtime.tasks.append(asyncio.create_task(sweep_regularly(), name="alerts-sweep"))
