"""The projection service's operator side: health, metrics, status, rebuilds, dead letters
(routed in web.py).

A read model that cannot make progress (its runner crashed and is being restarted, or a
server it needs is unreachable) makes `/health` answer 503 naming it and why; the same
states are in `/admin/projections` (and `eduplan projection status`) and in the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Mapping
from typing import Any

import asyncpg

from contracts.subjects import stream_name
from services.projection.freshness import CANNOT_SAY, Freshness
from services.projection.http import Download, HttpError
from shared import metrics
from shared.asof import Snapshots
from shared.db import SessionLocks
from shared.i18n import listing, phrase
from shared.projections import ProjectionRunner
from shared.rebuild import RebuildStatus, drop_abandoned_rebuilds, rebuild
from shared.supervision import Supervisor, TaskHealth


class Admin:
    def __init__(
        self,
        runners: Mapping[str, ProjectionRunner],
        pool: asyncpg.Pool,
        schema: str,
        tasks: list[asyncio.Task[Any]],
        supervisor: Supervisor | None = None,
        freshness: Freshness | None = None,
    ) -> None:
        self.runners = runners
        self.pool = pool
        self.schema = schema
        self.tasks = tasks
        self.supervisor = supervisor
        self.freshness = freshness
        self.rebuilds: dict[str, RebuildStatus] = {}
        self._rebuilding: dict[str, asyncio.Task[None]] = {}

    async def _outboxes(self) -> dict[str, int | None]:
        """Events each source's service recorded but has not yet put on the bus."""
        if self.freshness is None:
            return {}
        every = {s for r in self.runners.values() for s in r.projection.sources}
        try:
            fresh = await self.freshness.of(every)
        except CANNOT_SAY:
            return {}
        return {s: f.outbox_pending for s, f in fresh.items()}

    def read_model_state(self, name: str) -> dict[str, Any]:
        """How a read model's runner fares: `state` (the worst of its task and its sources)
        and, when it cannot make progress, why."""
        runner = self.runners[name]
        task = self._task(name)
        sources = {s: v.as_dict() for s, v in runner.sources.items()}
        waiting = [f"{s}: {v.error}" for s, v in runner.sources.items() if v.stalled]
        if task is not None and task.state in ("restarting", "failed", "recovering"):
            state, error = task.state, task.error
        elif waiting:
            state, error = "waiting", "; ".join(waiting)
        else:
            states = {v.state for v in runner.sources.values()}
            state = states.pop() if len(states) == 1 else "following"
            error = ""
        return {
            "state": state,
            "error": error,
            "stalled": bool(waiting) or (task is not None and not task.healthy),
            "restarts": task.restarts if task else 0,
            "sources": sources,
        }

    async def health(self, _: dict[str, str] | None = None) -> dict[str, Any]:
        """200 with every read model's checkpoints; 503 naming those that cannot progress."""
        checkpoints = {}
        for name, runner in self.runners.items():
            checkpoints[name] = {s: await runner.checkpoint(s) for s in runner.projection.sources}
        states = {name: self.read_model_state(name) for name in self.runners}
        stalled = {n: s["error"] for n, s in states.items() if s["stalled"]}
        if stalled:
            raise HttpError(
                503,
                "read_models_stalled",
                listing(
                    (phrase("error.stalled", name=name, why=why) for name, why in stalled.items()),
                    clauses=True,
                ),
            )
        return {"status": "ok", "checkpoints": checkpoints, "read_models": states}

    async def metrics(self, _: dict[str, str] | None = None) -> Download:
        await self.refresh_metrics()
        body, content_type = metrics.exposition()
        return Download(body, content_type, "metrics.txt")

    async def refresh_metrics(self) -> None:
        for name, runner in self.runners.items():
            for source in runner.projection.sources:
                last = await _last_seq(runner, source)
                lag = max(last - await runner.applied_through(source, last), 0)
                metrics.CONSUMER_LAG.labels(name, source).set(lag)
            metrics.DEAD_LETTERS.labels(name).set(runner.dead)
            metrics.PARKED.labels(name).set(runner.parked)
        for name, status in self.rebuilds.items():
            metrics.REBUILD_PROGRESS.labels(name).set(status.progress)
            metrics.REBUILD_RUNNING.labels(name).set(int(status.running))
        metrics.record_pool("projection", self.pool)
        if self.supervisor is not None:
            metrics.record_tasks(self.supervisor.health.values())
        metrics.record_tasks(s.worker for s in self.rebuilds.values() if s.worker)

    async def status(self, _: dict[str, str]) -> list[dict[str, Any]]:
        """Per projection: how far each source is read, against the stream's end; the runner's
        state and error; its rebuild, if any."""
        report = []
        pending = await self._outboxes()
        for name, runner in self.runners.items():
            sources = {}
            for source in runner.projection.sources:
                last = await _last_seq(runner, source)
                checkpoint = await runner.checkpoint(source)
                waiting = pending.get(source)
                sources[source] = {
                    "checkpoint": checkpoint,
                    "stream_last": last,
                    "outbox_pending": waiting,
                    # behind what the service recorded: on the bus and still in its outbox
                    "lag": max(last - await runner.applied_through(source, last), 0)
                    + (waiting or 0),
                    **runner.sources[source].as_dict(),
                }
            rebuild_status = self.rebuilds.get(name)
            state = self.read_model_state(name)
            report.append(
                {
                    "projection": name,
                    "state": state["state"],
                    "error": state["error"],
                    "stalled": state["stalled"],
                    "restarts": state["restarts"],
                    "sources": sources,
                    "parked": runner.parked,
                    "dead_letters": runner.dead,
                    "rebuild": rebuild_status.as_dict() if rebuild_status else None,
                }
            )
        return report

    async def dead_letters(self, params: dict[str, str]) -> dict[str, Any]:
        rows = await self.pool.fetch(
            f"SELECT projection, event_id, source, stream_id, version, event_type, error,"
            f' attempts, failed_at FROM "{self.schema}".projection_dead_letters'
            " WHERE $1::text IS NULL OR projection = $1 ORDER BY failed_at, event_id",
            params.get("projection"),
        )
        letters = [
            {**dict(r), "event_id": str(r["event_id"]), "failed_at": r["failed_at"].isoformat()}
            for r in rows
        ]
        return {"count": len(letters), "dead_letters": letters}

    async def start_rebuild(self, params: dict[str, str]) -> dict[str, Any]:
        runner = self._runner(params.get("projection"))
        name = runner.projection.name
        current = self.rebuilds.get(name)
        if current and current.running:
            raise HttpError(
                409,
                "rebuild_running",
                phrase("error.rebuild_running", name=name),
            )
        status = RebuildStatus(name)
        self.rebuilds[name] = status
        task = asyncio.create_task(_quietly(rebuild(runner, status)), name=f"rebuild:{name}")
        self._rebuilding[name] = task
        self.tasks.append(task)
        return status.as_dict()

    async def cancel_rebuild(self, params: dict[str, str]) -> dict[str, Any]:
        """Stop a rebuild under way; its schema is dropped and the live read model stays."""
        name = self._runner(params.get("projection")).projection.name
        status, task = self.rebuilds.get(name), self._rebuilding.get(name)
        if status is None or task is None or not status.running:
            raise HttpError(409, "no_rebuild_running", phrase("error.no_rebuild", name=name))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return status.as_dict()

    async def retry(self, params: dict[str, str]) -> dict[str, Any]:
        names = [params["projection"]] if params.get("projection") else list(self.runners)
        result = {}
        for name in names:
            applied, dead = await self._runner(name).retry_dead_letters()
            result[name] = {"applied": applied, "still_dead": dead}
        return result

    def _task(self, name: str) -> TaskHealth | None:
        if self.supervisor is None:
            return None
        return self.supervisor.health.get(f"projection:{name}")

    def _runner(self, name: str | None) -> ProjectionRunner:
        if name is None or name not in self.runners:
            known = ", ".join(sorted(self.runners))
            raise HttpError(
                404,
                "unknown_projection",
                phrase("error.unknown_projection", name=name, known=known),
            )
        return self.runners[name]


async def _last_seq(runner: ProjectionRunner, source: str) -> int:
    try:
        info = await runner.nc.jetstream().stream_info(stream_name(source, runner.namespace))
    except Exception:
        return 0
    return int(info.state.last_seq)


async def _quietly(work: Any) -> None:
    """A rebuild's failure is in its status (and logged); it must not take the service down."""
    with contextlib.suppress(Exception):
        await work


async def start_read_models(
    runners: Mapping[str, ProjectionRunner],
    stop: asyncio.Event,
    tasks: list[asyncio.Task[Any]],
    pool: asyncpg.Pool,
    locks: SessionLocks,
    snapshots: Snapshots,
) -> Supervisor:
    """Drop what a stopped process left (rebuild and as-of schemas), then run every read
    model's runner under supervision."""
    await drop_abandoned_rebuilds(pool, locks)
    await snapshots.drop_abandoned()
    supervisor = Supervisor(stop)
    for name, runner in runners.items():
        await runner.setup()
        tasks.append(supervisor.start(f"projection:{name}", functools.partial(runner.run, stop)))
    return supervisor
