"""Wiring of the projection service: a runner per read model, the HTTP API and its admin side.

Reports answer from schema `reporting`; with `as_known_on` (formerly `as_of`: a date or time
of recording) or `as_of_position` (`<source>:<sequence>`, comma-separated, or one sequence for
every source) they answer from a snapshot of the read model at that point. The business date a
report judges on is another axis, `judged_on` (read_models/plan/judged_on.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import asyncpg
import structlog
import uvicorn
from nats.aio.client import Client as NATS

from services.projection.freshness import Freshness
from services.projection.http import Answer, Handler, HttpError, Route
from services.projection.http.admin import Admin, start_read_models
from services.projection.http.web import reporting_app
from services.projection.read_models import projections, routes
from shared.accounts.schema import ensure_access_schema
from shared.asof import AsOf, Snapshots
from shared.db import SessionLocks, create_pool
from shared.gc_tuning import freeze_startup_objects, tune_gc_for_batches
from shared.i18n import phrase
from shared.jetstream import connect_nats
from shared.logging import configure_logging
from shared.moments import CHINA
from shared.operations import close_nats
from shared.partitions import PartitionError, partition_from
from shared.projections import Projection, ProjectionRunner
from shared.service import DEFAULT_DATABASE, DEFAULT_NATS
from shared.settings import Settings, get_settings
from shared.supervision import Supervisor, stop_tasks

log = structlog.get_logger()
SCHEMA = "reporting"
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
    freshness: Freshness
    server: uvicorn.Server | None = None
    locks: SessionLocks | None = None
    supervisor: Supervisor | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    reports: asyncpg.Pool | None = None
    """Where live reports are read: a read-only pool on EDUPLAN_REPORTING_DATABASE_URL (a hot
    standby of the read models' database), else the pool."""

    def read(self, route: Route, sources: tuple[Projection, ...]) -> Handler:
        """A route answering from the live read model, or from a snapshot when asked as of."""

        streams = sorted({s for p in sources for s in p.sources})

        async def handle(params: dict[str, str]) -> Any:
            moment = _known_on(params.pop("as_known_on", None), params.pop("as_of", None))
            as_of = _as_of(moment, params.pop("as_of_position", None), sources)
            if as_of is not None:
                schema = await self.snapshots.schema_for(sources, as_of)
                return await route(self.pool, schema, params)
            body = await route(self.reports or self.pool, SCHEMA, params)
            return Answer(body, await self.freshness.header(streams))

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
        if self.reports is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reports.close(), 1.0)


def _known_on(as_known_on: str | None, as_of: str | None) -> str | None:
    """`as_known_on` (recording time; `as_of` is its former name), apart from `judged_on`,
    the business date a report is about (read_models/plan/judged_on.py)."""
    if as_known_on is not None and as_of is not None:
        raise HttpError(400, "bad_request", phrase("error.as_of_twice"))
    return as_known_on if as_known_on is not None else as_of


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
    tls = tls_files(settings) if serve_http else None
    nats_url = nats_url or settings.nats_url or DEFAULT_NATS
    database_url = database_url or settings.database_url or DEFAULT_DATABASE
    tune_gc_for_batches()
    pool = await create_pool(
        database_url, max_size=settings.projection_pool_size, name="eduplan-projection"
    )
    if serve_http:
        await ensure_access_schema(pool)
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
            partition_from(settings.projection_partition, settings.projection_counties),
        )
        for p in projections()
    }
    service = ProjectionService(
        settings,
        pool,
        nc,
        runners,
        Snapshots(pool, nc, settings.namespace),
        Freshness(runners, nc, settings.namespace),
        locks=locks,
    )
    if settings.reporting_database_url:
        service.reports = await create_pool(
            settings.reporting_database_url,
            min_size=0,  # a standby that is down fails reports (503), not the read models
            max_size=settings.reporting_pool_size,
            name="eduplan-reports",
            read_only=True,
        )
    service.supervisor = await start_read_models(
        runners, service.stop, service.tasks, pool, locks, service.snapshots
    )
    if serve_http:
        admin = Admin(
            service.runners, pool, SCHEMA, service.tasks, service.supervisor, service.freshness
        )
        reports = {path: service.read(*r) for path, r in routes().items()}
        reports["/api/freshness"] = service.freshness.answer
        app = reporting_app(pool, settings, reports, admin)
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            log_config=None,  # uvicorn's records go through shared.logging (JSON when JSON)
            lifespan="on",
            ssl_certfile=tls[0] if tls else None,
            ssl_keyfile=tls[1] if tls else None,
        )
        service.server = _QuietServer(config)
        service.tasks.append(asyncio.create_task(service.server.serve()))
    scheme = "https" if tls else "http"
    log.info(
        "projection_service_started", http=f"{scheme}://{settings.http_host}:{settings.http_port}"
    )
    return service


class SettingsError(ValueError):
    """Settings that cannot work together; the service says which and exits with status 2."""


def tls_files(settings: Settings) -> tuple[str, str] | None:
    """The certificate and key uvicorn serves HTTPS with: both or neither."""
    cert, key = settings.http_certfile, settings.http_keyfile
    if (cert is None) != (key is None):
        raise SettingsError("EDUPLAN_HTTP_CERTFILE and EDUPLAN_HTTP_KEYFILE go together")
    if cert is None or key is None:
        return None
    for path in (cert, key):
        if not path.is_file():
            raise SettingsError(f"no such file: {path} (EDUPLAN_HTTP_CERTFILE/KEYFILE)")
    return str(cert), str(key)


async def serve_forever() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json, service="projection")
    try:
        tls_files(settings)
        partition_from(settings.projection_partition, settings.projection_counties)
    except (SettingsError, PartitionError) as exc:
        log.error("invalid_settings", error=str(exc))
        raise SystemExit(2) from None
    service = await start_projection_service(settings)
    freeze_startup_objects()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await service.close()
