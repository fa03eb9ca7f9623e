"""Metrics in the Prometheus text format (`prometheus-client`), for every process.

Counters and histograms are updated where things happen; gauges that describe a state
(outbox depth, consumer lag, pool usage) are refreshed right before each scrape, so a scrape
always shows the present. Domain services serve them on `EDUPLAN_METRICS_PORT` (off when
unset); the projection serves `/metrics` on its HTTP port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import asyncpg
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from shared.db import pool_usage
from shared.supervision import TaskHealth

log = structlog.get_logger()

COMMAND_SECONDS = Histogram(
    "eduplan_command_request_seconds",
    "Time a domain service took to answer one command request (a batch of commands).",
    ["service", "command"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
COMMANDS = Counter(
    "eduplan_commands",
    "Commands answered, by outcome: accepted or rejected.",
    ["service", "command", "outcome"],
)
OUTBOX_DEPTH = Gauge(
    "eduplan_outbox_depth", "Events committed but not yet published to JetStream.", ["service"]
)
RELAY_LAG = Gauge(
    "eduplan_relay_lag_seconds",
    "Age of the oldest event still waiting in the outbox (0 when it is empty).",
    ["service"],
)
RELAY_PUBLISHED = Counter(
    "eduplan_relay_published_events", "Events the relay published to JetStream.", ["service"]
)
CONSUMER_LAG = Gauge(
    "eduplan_consumer_lag_events",
    "Messages of a stream a read model has not applied yet (stream end minus checkpoint).",
    ["projection", "source"],
)
DEAD_LETTERS = Gauge(
    "eduplan_dead_letters", "Messages a read model set aside as dead letters.", ["projection"]
)
PARKED = Gauge(
    "eduplan_parked_events",
    "Events waiting for an earlier version of their stream.",
    ["projection"],
)
REBUILD_PROGRESS = Gauge(
    "eduplan_rebuild_progress_ratio",
    "Share of its events the latest rebuild of a read model has read (1 when done).",
    ["projection"],
)
REBUILD_RUNNING = Gauge(
    "eduplan_rebuild_running", "1 while a rebuild of the read model is under way.", ["projection"]
)
POOL_CONNECTIONS = Gauge(
    "eduplan_pool_connections",
    "Connections of a process's PostgreSQL pool: in use, open, and the most it may open.",
    ["pool", "state"],
)
ALERT_SWEEPS = Counter(
    "eduplan_alert_sweeps",
    "Sweeps of the alert rules: judged, or skipped because a work stream had not settled.",
    ["outcome"],
)
TASK_UP = Gauge(
    "eduplan_task_healthy", "1 when a supervised task runs (or stopped on request).", ["task"]
)
TASK_RESTARTS = Gauge(
    "eduplan_task_restarts", "Times a supervised task crashed and was restarted.", ["task"]
)


def observe_command_request(
    service: str, command: str, seconds: float, accepted: int, rejected: int
) -> None:
    """Record one command request: its latency and how many of its commands were accepted or
    rejected. Called by the command endpoint once per request."""
    COMMAND_SECONDS.labels(service, command).observe(seconds)
    if accepted:
        COMMANDS.labels(service, command, "accepted").inc(accepted)
    if rejected:
        COMMANDS.labels(service, command, "rejected").inc(rejected)


def record_pool(name: str, pool: asyncpg.Pool) -> None:
    in_use, size, most = pool_usage(pool)
    POOL_CONNECTIONS.labels(name, "in_use").set(in_use)
    POOL_CONNECTIONS.labels(name, "open").set(size)
    POOL_CONNECTIONS.labels(name, "max").set(most)


def record_tasks(tasks: Iterable[TaskHealth]) -> None:
    for task in tasks:
        TASK_UP.labels(task.name).set(1 if task.healthy else 0)
        TASK_RESTARTS.labels(task.name).set(task.restarts)


def exposition() -> tuple[bytes, str]:
    """The current metrics as Prometheus text, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


Refresh = Callable[[], Awaitable[None]]


async def serve_metrics(host: str, port: int, refresh: Refresh) -> asyncio.Server:
    """A minimal HTTP server answering `GET /metrics` (anything else: 404).

    asyncio rather than prometheus-client's threaded server, so `refresh` can query the
    database on the service's own loop before each scrape.
    """

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            path = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b""
            if path.split(b"?")[0] == b"/metrics":
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(refresh(), 5)
                body, content_type = exposition()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
            else:
                body, head = b"not found\n", "HTTP/1.1 404 Not Found\r\n"
            writer.write(
                f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
            )
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, host, port)
    log.info("metrics_serving", url=f"http://{host}:{port}/metrics")
    return server
