"""When the read models may be judged: everything each work stream committed is in them.

A read model caught up with its stream is not enough: events still in the producer's outbox
(its relay behind, or the service restarting) are not on the stream yet, and a batch of
commands in progress (a grant run sent in many requests) is only half recorded. A work stream
is settled when its producer answers that its outbox is empty and it has recorded nothing for
a quiet period, and every read model that reads it has reached its stream's end. A producer
that does not answer (stopped, restarting) is not settled: nothing is judged until it is back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from contracts.subjects import stream_name
from services.projection.read_models import projections
from shared.commandbus import CommandClient, ServiceUnavailable
from shared.operations import OutboxQuery, OutboxReport

log = structlog.get_logger()
ASKER = "alerts"
"""The actor of the outbox queries: the alerts service's NATS user (deploy/nats)."""
Settled = Callable[[], Awaitable[bool]]


def settled_check(
    nc: NATS,
    reporting: asyncpg.Pool,
    work_streams: Sequence[str],
    namespace: str,
    quiet_seconds: float,
    schema: str = "reporting",
) -> Settled:
    """A check for the detector: True when every work stream is settled."""

    async def settled() -> bool:
        for source in work_streams:
            reason = await _unsettled(nc, reporting, source, namespace, quiet_seconds, schema)
            if reason:
                log.info("alerts_not_judged", work_stream=source, reason=reason)
                return False
        return True

    return settled


async def _unsettled(
    nc: NATS,
    reporting: asyncpg.Pool,
    source: str,
    namespace: str,
    quiet_seconds: float,
    schema: str,
) -> str:
    """Why `source` is not settled; empty when it is."""
    try:
        client = CommandClient(nc, source, namespace, timeout=2, retries=0, actor=ASKER)
        report = await client.query(OutboxQuery(), OutboxReport)
    except ServiceUnavailable as exc:
        return f"its service does not answer: {exc}"
    if report.pending:
        return f"{report.pending} events wait in its outbox"
    if report.quiet_seconds is not None and report.quiet_seconds < quiet_seconds:
        return f"it recorded an event {report.quiet_seconds:.0f} s ago (a batch may be going on)"
    try:
        last = (await nc.jetstream().stream_info(stream_name(source, namespace))).state.last_seq
    except NotFoundError:
        return ""
    readers = [p.name for p in projections() if source in p.sources]
    try:
        rows = await reporting.fetch(
            f'SELECT projection, stream_seq FROM "{schema}".projection_checkpoints'
            " WHERE source = $1 AND projection = ANY($2::text[])",
            source,
            readers,
        )
    except asyncpg.UndefinedTableError:
        return ""  # no read model built yet: the rules find nothing to judge
    reached = {r["projection"]: r["stream_seq"] for r in rows}
    behind = [name for name in readers if reached.get(name, 0) < last]
    return f"read models behind its stream: {', '.join(behind)}" if behind else ""
