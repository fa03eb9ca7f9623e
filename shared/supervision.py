"""Supervised background tasks: nothing that keeps a read model or the outbox moving dies quietly.

A supervised task that raises (or ends without being asked to) is restarted after a pause that
doubles up to a ceiling. Its error is logged once, again only when it changes, and kept in its
`TaskHealth`, which `/health`, `eduplan projection status` and the metrics show.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger()
STABLE_AFTER = 30.0
"""Seconds a restarted task must run before it counts as healthy again (and backoff resets)."""


class TaskFailed(Exception):
    """A supervised task crashed more often than it may; the message is its last error."""


@dataclass
class TaskHealth:
    name: str
    phase: str = "starting"  # starting, running, restarting, failed, stopped
    error: str = ""
    restarts: int = 0
    changed_at: float = field(default_factory=time.time)

    @property
    def state(self) -> str:
        """`recovering` while a restarted task has not yet run `STABLE_AFTER` seconds."""
        recent = time.time() - self.changed_at < STABLE_AFTER
        if self.phase == "running" and self.error and recent:
            return "recovering"
        return self.phase

    @property
    def healthy(self) -> bool:
        """Running (even recovering from a crash) or stopped on request."""
        return self.state not in ("restarting", "failed")

    def as_dict(self) -> dict[str, object]:
        return {
            "task": self.name,
            "state": self.state,
            "error": self.error,
            "restarts": self.restarts,
        }

    def enter(self, phase: str) -> None:
        self.phase, self.changed_at = phase, time.time()


def describe(exc: BaseException) -> str:
    """`Type: message` of the first real error (task groups wrap theirs)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"[:500]


class Supervisor:
    """Runs named tasks until `stop` is set, restarting those that crash."""

    def __init__(self, stop: asyncio.Event, first_pause: float = 0.5, max_pause: float = 30.0):
        self.stop = stop
        self.first_pause = first_pause
        self.max_pause = max_pause
        self.health: dict[str, TaskHealth] = {}

    def start(
        self,
        name: str,
        work: Callable[[], Awaitable[None]],
        max_restarts: int | None = None,
    ) -> asyncio.Task[None]:
        """Run `work()` supervised; after `max_restarts` crashes it gives up with TaskFailed."""
        health = TaskHealth(name)
        self.health[name] = health
        return asyncio.create_task(self._supervise(health, work, max_restarts), name=name)

    def unhealthy(self) -> list[TaskHealth]:
        return [h for h in self.health.values() if not h.healthy]

    async def _supervise(
        self, health: TaskHealth, work: Callable[[], Awaitable[None]], max_restarts: int | None
    ) -> None:
        pause = self.first_pause
        logged = ""
        while not self.stop.is_set():
            health.enter("running")
            started = time.monotonic()
            try:
                await work()
                error = "" if self.stop.is_set() else "ended without being asked to stop"
            except Exception as exc:
                error = describe(exc)
                if error != logged:
                    log.error("task_crashed", task=health.name, error=error, exc_info=exc)
                    logged = error
            if not error:
                break
            if time.monotonic() - started > STABLE_AFTER:
                pause = self.first_pause
            health.error = error
            if max_restarts is not None and health.restarts >= max_restarts:
                health.enter("failed")
                raise TaskFailed(error)
            health.restarts += 1
            health.enter("restarting")
            await sleep_or_stop(self.stop, pause)
            pause = min(pause * 2, self.max_pause)
        health.enter("stopped")


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def stop_tasks(tasks: list[asyncio.Task[Any]], grace: float) -> None:
    """Wait up to `grace` seconds for tasks told to stop, then cancel those still running.

    Long work (a rebuild, an alerts sweep, a request in flight) is safe to cancel: each step
    commits alone, and the next run resumes from what was committed.
    """
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
