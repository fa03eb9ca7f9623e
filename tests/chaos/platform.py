"""A platform of its own for fault tests: embedded NATS and PostgreSQL that a test may kill,
stop and start, the services as processes, the command line as a clerk runs it, and the
counts that tell whether anything was lost, doubled or frozen."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats

from shared.accounts import credentials, users
from shared.accounts.roles import Role
from shared.accounts.schema import ensure_access_schema
from shared.servers import EmbeddedNats, EmbeddedPostgres, _free_port
from shared.testing import start_process, stop_process, wait_for

MODULES = {
    "assistance": "services.assistance",
    "projection": "services.projection",
}


@dataclass
class Counts:
    """What each copy holds: the event store, the stream, the read models."""

    students_in_store: int
    events_in_store: int
    grants_in_store: int
    messages_in_stream: int
    outbox: int
    students_in_read_model: int
    grants_in_read_model: int

    @property
    def consistent(self) -> bool:
        return (
            self.outbox == 0
            and self.events_in_store == self.messages_in_stream
            and self.students_in_read_model == self.students_in_store
            and self.grants_in_read_model == self.grants_in_store
        )

    def row(self) -> dict[str, Any]:
        return {
            "students": self.students_in_store,
            "events in PostgreSQL": self.events_in_store,
            "messages in JetStream": self.messages_in_stream,
            "students in read model": self.students_in_read_model,
            "grants (store / read model)": f"{self.grants_in_store} / {self.grants_in_read_model}",
        }


@dataclass
class Platform:
    folder: Path
    nats: EmbeddedNats = field(init=False)
    pg: EmbeddedPostgres = field(init=False)
    http_port: int = field(default_factory=_free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""

    def __post_init__(self) -> None:
        self.nats = EmbeddedNats(self.folder / "nats")
        self.pg = EmbeddedPostgres(self.folder / "pg")

    @property
    def database_url(self) -> str:
        return self.pg.url.rsplit("/", 1)[0] + "/eduplan"

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("EDUPLAN_")}
        return base | {
            "EDUPLAN_NATS_URL": self.nats.url,
            "EDUPLAN_DATABASE_URL": self.database_url,
            "EDUPLAN_HTTP_PORT": str(self.http_port),
            "EDUPLAN_REPORTING_URL": f"http://127.0.0.1:{self.http_port}",
            "EDUPLAN_REPORTING_TOKEN": self.token,
            "EDUPLAN_LOG_JSON": "true",
            "EDUPLAN_COMMAND_TIMEOUT": "5",
            "COLUMNS": "200",
            **extra,
        }

    async def up(self) -> None:
        self.nats.start()
        self.pg.start()
        conn = await asyncpg.connect(self.pg.url)
        await conn.execute("CREATE DATABASE eduplan")
        await conn.close()
        conn = await asyncpg.connect(self.database_url)
        try:
            await ensure_access_schema(conn)
            await users.add_user(conn, "chaos", [Role.PROVINCE_VIEWER, Role.OPERATOR], [], "x" * 16)
            self.token, _ = await credentials.issue_token(conn, "chaos", timedelta(days=1), "t")
        finally:
            await conn.close()
        for name in MODULES:
            self.start(name)
        await self.ready()

    def start(self, name: str) -> None:
        log = self.folder / f"{name}.log"
        self.processes[name] = start_process(MODULES[name], self.env(), log)

    def kill(self, name: str) -> None:
        """kill -9: the process gets no chance to finish anything."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait()

    async def ready(self) -> None:
        async def answers() -> bool:
            for name, process in self.processes.items():
                assert process.poll() is None, (self.folder / f"{name}.log").read_text()[-3000:]
            logs = [(self.folder / f"{n}.log").read_text() for n in self.processes]
            return all("_started" in text for text in logs)

        await wait_for(answers, timeout=60, interval=0.1)

    def down(self) -> None:
        for process in self.processes.values():
            stop_process(process)
        self.nats.stop()
        self.pg.stop()

    def eduplan(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", *args],
            env=self.env(**env),
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    async def counts(self) -> Counts:
        conn = await asyncpg.connect(self.database_url)
        try:
            store = await conn.fetchrow(
                "SELECT count(*) AS events,"
                " count(DISTINCT stream_id) FILTER (WHERE stream_type = 'student') AS students,"
                " count(*) FILTER (WHERE event_type = 'AidGranted') AS grants"
                " FROM assistance.events"
            )
            outbox = await conn.fetchval("SELECT count(*) FROM assistance.outbox")
            students = await _count(conn, "reporting.aid_students")
            grants = await _count(conn, "reporting.aid_grants")
        finally:
            await conn.close()
        nc = await nats.connect(self.nats.url)
        try:
            messages = (await nc.jetstream().stream_info("ASSISTANCE")).state.messages
        finally:
            await nc.close()
        return Counts(
            store["students"], store["events"], store["grants"], messages, outbox, students, grants
        )

    async def recording(self, event_type: str, at_least: int = 100) -> None:
        """Wait until a batch is under way: this many events of the type are recorded."""
        conn = await asyncpg.connect(self.database_url)
        try:

            async def under_way() -> bool:
                found = await conn.fetchval(
                    "SELECT count(*) FROM assistance.events WHERE event_type = $1", event_type
                )
                return int(found) >= at_least

            await wait_for(under_way, timeout=60, interval=0.02)
        finally:
            await conn.close()

    async def settled(self, timeout: float = 90) -> Counts:
        """The counts once every copy agrees; a freeze fails here with the last counts."""
        deadline = time.monotonic() + timeout
        while True:
            counts = await self.counts()
            if counts.consistent:
                return counts
            assert time.monotonic() < deadline, f"no convergence (a freeze?): {counts}"
            await asyncio.sleep(0.5)


async def _count(conn: asyncpg.Connection, table: str) -> int:
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    except asyncpg.UndefinedTableError:
        return 0


def finished(process: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err
