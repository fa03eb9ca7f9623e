"""Wiring of the projection service: a runner per read model, the HTTP API and its admin side.

Reports answer from schema `reporting`; with `as_of` (a date or time) or `as_of_position`
(`<source>:<sequence>`, comma-separated, or one sequence for every source) they answer from
a snapshot of the read model at that point.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import asyncpg
import structlog
import uvicorn
from nats.aio.client import Client as NATS

from services.projection.admin import Admin, start_read_models
from services.projection.dashboard import assets
from services.projection.http import Handler, HttpError, ReportingApp, Route
from services.projection.read_models import projections, routes
from shared.asof import AsOf, Snapshots
from shared.db import SessionLocks, create_pool
from shared.jetstream import connect_nats
from shared.logging import configure_logging
from shared.operations import close_nats
from shared.projections import Projection, ProjectionRunner, tune_gc_for_batches
from shared.service import DEFAULT_DATABASE, DEFAULT_NATS
from shared.settings import Settings, get_settings
from shared.supervision import Supervisor, stop_tasks

log = structlog.get_logger()
SCHEMA = "reporting"
CHINA = timezone(timedelta(hours=8), "CST")
"""A plain date in `as_of` means the end of that day in China Standard Time (no DST)."""


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the service decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class ProjectionService:
    settings: Settings
    pool: asyncpg.Pool
    nc: NATS
    runners: dict[str, ProjectionRunner]
    snapshots: Snapshots
    server: uvicorn.Server | None = None
    locks: SessionLocks | None = None
    supervisor: Supervisor | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def health(self, _: dict[str, str] | None = None) -> dict[str, Any]:
        status = {}
        for runner in self.runners.values():
            status[runner.projection.name] = {
                source: await runner.checkpoint(source) for source in runner.projection.sources
            }
        return {"status": "ok", "checkpoints": status}

    def read(self, route: Route, sources: tuple[Projection, ...]) -> Handler:
        """A route answering from the live read model, or from a snapshot when asked as of."""

        async def handle(params: dict[str, str]) -> Any:
            as_of = _as_of(params.pop("as_of", None), params.pop("as_of_position", None), sources)
            schema = SCHEMA if as_of is None else await self.snapshots.schema_for(sources, as_of)
            return await route(self.pool, schema, params)

        return handle

    async def close(self) -> None:
        self.stop.set()
        if self.server:
            self.server.should_exit = True
        await stop_tasks(self.tasks, grace=1.0)
        with contextlib.suppress(Exception):
            await self.snapshots.close()
        if self.locks:
            await self.locks.close()
        await close_nats(self.nc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pool.close(), 1.0)


def _as_of(
    moment: str | None, position: str | None, projections: tuple[Projection, ...]
) -> AsOf | None:
    if moment is None and position is None:
        return None
    try:
        when = _moment(moment) if moment else None
        positions = _positions(position, projections) if position else ()
    except ValueError as exc:
        raise HttpError(400, "bad_request", f"as_of: {exc}") from None
    return AsOf(when, positions)


def _moment(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.max, CHINA)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def _positions(text: str, projections: tuple[Projection, ...]) -> tuple[tuple[str, int], ...]:
    sources = sorted({s for p in projections for s in p.sources})
    if text.isdigit():
        return tuple((s, int(text)) for s in sources)
    pairs = [part.split(":") for part in text.split(",")]
    if any(len(p) != 2 or p[0] not in sources or not p[1].isdigit() for p in pairs):
        raise ValueError(f"as_of_position is <source>:<sequence>,... with sources {sources}")
    return tuple(sorted((p[0], int(p[1])) for p in pairs))


async def start_projection_service(
    settings: Settings | None = None,
    *,
    nats_url: str | None = None,
    database_url: str | None = None,
    serve_http: bool = True,
) -> ProjectionService:
    settings = settings or get_settings()
    nats_url = nats_url or settings.nats_url or DEFAULT_NATS
    database_url = database_url or settings.database_url or DEFAULT_DATABASE
    tune_gc_for_batches()
    pool = await create_pool(
        database_url, max_size=settings.projection_pool_size, name="eduplan-projection"
    )
    locks = SessionLocks(database_url, "eduplan-projection-locks")
    nc = await connect_nats(nats_url, "projection", wait=10)
    runners = {
        p.name: ProjectionRunner(
            pool,
            database_url,
            nc,
            p,
            SCHEMA,
            settings.namespace,
            settings.projection_batch_size,
            locks,
        )
        for p in projections()
    }
    service = ProjectionService(
        settings, pool, nc, runners, Snapshots(pool, nc, settings.namespace), locks=locks
    )
    service.supervisor = await start_read_models(
        runners, service.stop, service.tasks, pool, locks, service.snapshots
    )
    if serve_http:
        admin = Admin(service.runners, pool, SCHEMA, service.tasks, service.supervisor)
        app = ReportingApp(
            get={
                "/health": admin.health,
                "/metrics": admin.metrics,
                **{path: service.read(*r) for path, r in routes().items()},
                **admin.get_routes(),
            },
            post=admin.post_routes(),
            assets=assets(),
        )
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            log_config=None,  # uvicorn's records go through shared.logging (JSON when JSON)
            lifespan="on",
        )
        service.server = _QuietServer(config)
        service.tasks.append(asyncio.create_task(service.server.serve()))
    log.info("projection_service_started", http=f"http://{settings.http_host}:{settings.http_port}")
    return service


async def serve_forever() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json, service="projection")
    service = await start_projection_service(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await service.close()
