"""`eduplan up`: everything on one machine, for a county office or a developer.

Servers come from the settings, else the conventional local ports, else embedded ones under
the state dir; then each service runs as its own process. Ctrl-C stops what was started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable

import asyncpg
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from rich.console import Console

from contracts.subjects import command_subject
from services.projection.access.bootstrap import FirstOperator, ensure_first_operator
from shared.jetstream import connect_nats
from shared.servers import redact, resolve_servers
from shared.settings import Settings

SERVICES = {
    "assistance": "services.assistance",
    "staffing": "services.staffing",
    "pairing": "services.pairing",
    "evaluation": "services.evaluation",
    "alerts": "services.alerts",
    "projection": "services.projection",
}
"""Each service as its own process: what a county office runs on one machine."""
COMMAND_SERVICES = {"assistance", "staffing", "pairing", "evaluation"}
DATABASE = "eduplan"


def run_up(settings: Settings, console: Console) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    endpoints = resolve_servers(
        settings.nats_url, settings.database_url, settings.state_dir, log=console.print
    )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        database_url = settings.database_url or asyncio.run(
            ensure_database(endpoints.database_url, DATABASE)
        )
        first = asyncio.run(ensure_first_operator(database_url))
        env = {
            **os.environ,
            "EDUPLAN_NATS_URL": endpoints.nats_url,
            "EDUPLAN_DATABASE_URL": database_url,
        }
        for name, module in SERVICES.items():
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", module], env=env, start_new_session=True
            )
        asyncio.run(wait_until_ready(settings, endpoints.nats_url, processes))
        console.print(
            f"\n[bold green]eduplan is up[/bold green]\n"
            f"  NATS           {redact(endpoints.nats_url)}\n"
            f"  PostgreSQL     {redact(database_url)}\n"
            + "".join(f"  {n:<14} pid {p.pid}\n" for n, p in processes.items())
            + f"  reports        {reporting_origin(settings)}/ (dashboard) and /api/...\n"
            + login_help(settings, first)
            + "Try: eduplan import-roster roster.csv · press Ctrl-C to stop everything.",
            highlight=False,
            soft_wrap=True,  # a password or token cut in two cannot be copied
        )
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    console.print(
                        f"[red]{name} stopped (exit {process.returncode}); stopping all[/red]"
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\nstopping ...")
        return 0
    finally:
        stop_processes(processes)
        endpoints.stop_all()
        console.print("stopped.")


def reporting_origin(settings: Settings) -> str:
    scheme = "https" if settings.http_certfile else "http"
    return f"{scheme}://{settings.http_host}:{settings.http_port}"


def login_help(settings: Settings, first: FirstOperator | None) -> str:
    """How to log in: the first operator's password and CLI token, shown this once."""
    if first is None:
        return (
            "  login          as a user of `eduplan users list`; CLI reports need"
            " EDUPLAN_REPORTING_TOKEN (eduplan users token NAME)\n"
        )
    return (
        f"  first login    {reporting_origin(settings)}/login as {first.name},"
        f" password {first.password} (shown once; change it: eduplan users password"
        f" {first.name})\n"
        f"  CLI reports    export EDUPLAN_REPORTING_TOKEN={first.token}\n"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_processes(processes: dict[str, subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def ensure_database(server_url: str, name: str) -> str:
    """Create the platform's database on a server we found or started; return its DSN."""
    conn = await asyncpg.connect(server_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    head, _, tail = server_url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{tail}" if tail else "")


async def wait_until_ready(
    settings: Settings,
    nats_url: str,
    processes: dict[str, subprocess.Popen[bytes]],
    timeout: float = 90.0,
) -> None:
    """Every command service answers on the bus, the projection over HTTP; any that exits
    early stops the start with its status."""
    nc = await connect_nats(nats_url, "eduplan-up", wait=10)
    deadline = time.monotonic() + timeout
    try:
        for name, process in processes.items():
            ready = (
                _http_ready(settings) if name == "projection" else _bus_ready(nc, settings, name)
            )
            while not await ready():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {process.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready within {timeout:.0f} s")
                await asyncio.sleep(0.2)
    finally:
        await nc.close()


def _bus_ready(nc: NATS, settings: Settings, service: str) -> Callable[[], Awaitable[bool]]:
    """A service serving commands answers even a malformed request (with a rejection)."""
    subject = command_subject(service, "Ping", settings.namespace)

    async def ready() -> bool:
        if service not in COMMAND_SERVICES:
            return True  # no command endpoint: running is all we can tell
        try:
            await nc.request(subject, b"{}", timeout=1)
        except (NatsTimeout, NoRespondersError):
            return False
        return True

    return ready


def _http_ready(settings: Settings) -> Callable[[], Awaitable[bool]]:
    url = f"{reporting_origin(settings)}/health"
    context = None
    if settings.http_certfile:
        # Only asks whether the process we started answers; no data crosses this connection.
        context = ssl.create_default_context(cafile=settings.reporting_ca_file)
        if settings.reporting_ca_file is None:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE

    async def ready() -> bool:
        try:
            await asyncio.to_thread(urllib.request.urlopen, url, timeout=1, context=context)
        except OSError:
            return False
        return True

    return ready
