"""The projection service's operator side: status, rebuilds, dead letters (routed in web.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import asyncpg

from contracts.subjects import stream_name
from services.projection.http import HttpError
from shared.projections import ProjectionRunner
from shared.rebuild import RebuildStatus, rebuild


class Admin:
    def __init__(
        self,
        runners: Mapping[str, ProjectionRunner],
        pool: asyncpg.Pool,
        schema: str,
        tasks: list[asyncio.Task[Any]],
    ) -> None:
        self.runners = runners
        self.pool = pool
        self.schema = schema
        self.tasks = tasks
        self.rebuilds: dict[str, RebuildStatus] = {}

    async def status(self, _: dict[str, str]) -> list[dict[str, Any]]:
        """Per projection: how far each source is read, against the stream's end."""
        report = []
        for name, runner in self.runners.items():
            sources = {}
            for source in runner.projection.sources:
                last = await _last_seq(runner, source)
                checkpoint = await runner.checkpoint(source)
                sources[source] = {
                    "checkpoint": checkpoint,
                    "stream_last": last,
                    "lag": max(last - checkpoint, 0),
                }
            rebuild_status = self.rebuilds.get(name)
            report.append(
                {
                    "projection": name,
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
        current = self.rebuilds.get(runner.projection.name)
        if current and current.state in ("starting", "building", "swapping"):
            raise HttpError(409, "rebuild_running", f"{runner.projection.name} is being rebuilt")
        status = RebuildStatus(runner.projection.name)
        self.rebuilds[runner.projection.name] = status
        self.tasks.append(asyncio.create_task(_quietly(rebuild(runner, status))))
        return status.as_dict()

    async def retry(self, params: dict[str, str]) -> dict[str, Any]:
        names = [params["projection"]] if params.get("projection") else list(self.runners)
        result = {}
        for name in names:
            applied, dead = await self._runner(name).retry_dead_letters()
            result[name] = {"applied": applied, "still_dead": dead}
        return result

    def _runner(self, name: str | None) -> ProjectionRunner:
        if name is None or name not in self.runners:
            known = ", ".join(sorted(self.runners))
            raise HttpError(404, "unknown_projection", f"no projection {name!r} (known: {known})")
        return self.runners[name]


async def _last_seq(runner: ProjectionRunner, source: str) -> int:
    try:
        info = await runner.nc.jetstream().stream_info(stream_name(source, runner.namespace))
    except Exception:
        return 0
    return int(info.state.last_seq)


async def _quietly(work: Any) -> None:
    """A rebuild's failure is in its status; it must not take the service down."""
    with contextlib.suppress(Exception):
        await work
