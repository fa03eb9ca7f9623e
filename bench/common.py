"""What every section of the benchmark shares: the servers, sandboxes, service processes, CPU
readings from /proc and percentiles.

Each section measures in a sandbox of its own (a database and a namespace), on the same
servers as every other section of the run, so the ratios between sections mean something even
when the machine is busy.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from contracts.assistance.queries import ListStudentIds, StudentIdPage
from shared.commandbus import CommandClient
from shared.testing import Sandbox, create_sandbox, drop_sandbox, start_process, stop_process
from shared.testing import wait_for as wait_until

__all__ = ["Bench", "Cpu", "percentile", "say", "wait_until"]

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Bench:
    """One run: the servers, a scratch directory, how big to make things, and what earlier
    sections found (later sections compare against it)."""

    nats_url: str
    server_url: str
    workdir: Path
    scale: float = 1.0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: dict[str, Sandbox] = field(default_factory=dict)
    """Sandboxes a section leaves for later ones (by name), dropped at the end of the run."""

    def sized(self, n: int, least: int = 1) -> int:
        """`n` scaled by the run's size factor (`--scale`)."""
        return max(least, int(n * self.scale))

    @contextlib.asynccontextmanager
    async def sandbox(self, prefix: str) -> AsyncIterator[Sandbox]:
        box = await create_sandbox(self.nats_url, self.server_url, prefix=f"b{prefix}")
        try:
            yield box
        finally:
            await drop_sandbox(box)

    async def keep(self, name: str, prefix: str) -> Sandbox:
        """A sandbox that outlives its section: later sections read what it holds."""
        box = await create_sandbox(self.nats_url, self.server_url, prefix=f"b{prefix}")
        self.kept[name] = box
        return box

    async def drop_kept(self) -> None:
        for box in self.kept.values():
            await drop_sandbox(box)
        self.kept.clear()

    @contextlib.contextmanager
    def process(
        self, module: str, box: Sandbox, *args: str, **env: str
    ) -> Iterable[subprocess.Popen[bytes]]:
        """A service process on the sandbox, stopped afterwards; its log in the workdir."""
        log = self.workdir / f"{module.rsplit('.', 1)[-1]}-{box.namespace}.log"
        settings = {"EDUPLAN_LOG_LEVEL": "WARNING", "EDUPLAN_HTTP_PORT": str(free_port())}
        process = start_process(module, box.env(**settings, **env), log, *args)
        try:
            yield process
        finally:
            stop_process(process)


async def service_ready(client: CommandClient) -> bool:
    try:
        await client.query(ListStudentIds(county="610831", limit=1), StudentIdPage)
    except Exception:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Cpu:
    """CPU used by named groups of processes between `start()` and `read()`."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.groups.items()}

    def start(self) -> None:
        self._start = self._now()

    def read(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self._start.get(name, 0.0) for name in now}


async def backend_pids(conn: asyncpg.Connection, database: str) -> list[int]:
    """PostgreSQL backends serving a database (their CPU is the database's share of a run)."""
    rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    return [int(r["pid"]) for r in rows]


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
