"""How fresh the read models are: per source, what its service recorded that a read model has
not applied yet, whether still in the service's outbox (not on the bus) or on the bus.

Every report carries it (header `Eduplan-Freshness`), `/api/freshness` answers it, and the
command line waits on it after a batch so that the next report includes what it wrote.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError

from contracts.subjects import stream_name
from shared.commandbus import CommandClient, Refused, ServiceUnavailable
from shared.db import UNAVAILABLE
from shared.operations import OutboxQuery, OutboxReport
from shared.projections import ProjectionRunner

HEADER = "eduplan-freshness"
CANNOT_SAY: tuple[type[BaseException], ...] = (NatsError, TimeoutError, *UNAVAILABLE)
ASKER = "projection"
"""The actor of the outbox queries: the projection's NATS user (deploy/nats)."""


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    stream_last: int
    outbox_pending: int | None  # None: the service did not answer
    checkpoints: Mapping[str, int] = field(default_factory=dict)  # read model -> applied

    @property
    def applied(self) -> int:
        """The stream sequence every read model of this source has reached."""
        return min(self.checkpoints.values(), default=self.stream_last)

    @property
    def behind(self) -> int | None:
        """Events recorded but not yet in every read model; None when unknown."""
        if self.outbox_pending is None:
            return None
        return max(self.stream_last - self.applied, 0) + self.outbox_pending

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied_through": self.applied,
            "stream_last": self.stream_last,
            "outbox_pending": self.outbox_pending,
            "behind": self.behind,
            "read_models": dict(self.checkpoints),
        }


class Freshness:
    """Freshness of every source, kept for `ttl` seconds so that reports stay cheap."""

    def __init__(
        self,
        runners: Mapping[str, ProjectionRunner],
        nc: NATS,
        namespace: str,
        ttl: float = 1.0,
    ) -> None:
        self.runners = runners
        self.nc = nc
        self.namespace = namespace
        self.ttl = ttl
        self._cached: dict[str, tuple[float, SourceFreshness]] = {}

    async def of(self, sources: Iterable[str]) -> dict[str, SourceFreshness]:
        wanted = sorted(set(sources))
        found = await asyncio.gather(*(self._source(s) for s in wanted))
        return dict(zip(wanted, found, strict=True))

    async def header(self, sources: Iterable[str]) -> dict[str, str]:
        """The `Eduplan-Freshness` header of a report reading these sources; a server that
        cannot say makes it `unknown`, never the report fail."""
        try:
            fresh = await self.of(sources)
        except CANNOT_SAY as exc:
            return {HEADER: json.dumps({"unknown": str(exc) or type(exc).__name__})}
        short = {s: {"applied_through": f.applied, "behind": f.behind} for s, f in fresh.items()}
        return {HEADER: json.dumps(short, separators=(",", ":"))}

    async def answer(self, params: dict[str, str]) -> dict[str, Any]:
        """`/api/freshness`: every source, or those named in `sources=a,b`."""
        every = {s for r in self.runners.values() for s in r.projection.sources}
        asked = [s for s in params.get("sources", "").split(",") if s] or sorted(every)
        fresh = await self.of(s for s in asked if s in every)
        return {"sources": {s: f.as_dict() for s, f in fresh.items()}}

    async def _source(self, source: str) -> SourceFreshness:
        cached = self._cached.get(source)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        # the outbox first: once it is empty, the stream holds everything recorded before
        pending = await self._outbox(source)
        try:
            info = await self.nc.jetstream(timeout=2).stream_info(
                stream_name(source, self.namespace)
            )
            last = info.state.last_seq
        except NotFoundError:
            last = 0
        checkpoints = {
            name: await runner.applied_through(source, last)
            for name, runner in self.runners.items()
            if source in runner.projection.sources
        }
        fresh = SourceFreshness(source, last, pending, checkpoints)
        self._cached[source] = (time.monotonic(), fresh)
        return fresh

    async def _outbox(self, source: str) -> int | None:
        client = CommandClient(self.nc, source, self.namespace, timeout=1, retries=0, actor=ASKER)
        try:
            report = await client.query(OutboxQuery(), OutboxReport)
        except (ServiceUnavailable, Refused):
            return None
        return report.pending
