"""Everything on one machine (`eduplan up`), for a county office or a developer.

Servers come from the settings, else the conventional local ports, else embedded ones under
the state dir; then each service runs as its own process. Ctrl-C stops what was started.

With `--env-file` (the `.env` of docker-compose.yml: each service's NATS and PostgreSQL
password, the operator's and the provisioner's) it runs the secured deployment of deploy/:
first `eduplan provision` as the operator, then every service with its own credentials.
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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import asyncpg
from dotenv import dotenv_values
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from rich.console import Console

from contracts.assistance.types import PROVINCE
from contracts.subjects import Sender, command_subject
from shared.accounts.bootstrap import FirstOperator, ensure_first_operator
from shared.jetstream import connect_nats, nats_tls, user_of
from shared.provision import provision_schemas, provision_streams_at
from shared.servers import redact, resolve_servers
from shared.settings import Settings

SERVICES = {
    "assistance": "services.assistance",
    "staffing": "services.staffing",
    "pairing": "services.pairing",
    "evaluation": "services.evaluation",
    "alerts": "services.projection.alerts",
    "projection": "services.projection",
}
"""Each service as its own process: what a county office runs on one machine."""
COMMAND_SERVICES = {"assistance", "staffing", "pairing", "evaluation"}
DATABASE = "eduplan"


@dataclass(frozen=True)
class Credentials:
    """Passwords by variable name, as docker-compose.yml's `.env` holds them."""

    secrets: Mapping[str, str]

    @classmethod
    def read(cls, path: Path) -> Credentials:
        values = {k: v for k, v in dotenv_values(path).items() if v}
        missing = [v for v in _required_secrets() if v not in values]
        if missing:
            raise ValueError(f"{path} lacks {', '.join(missing)}")
        return cls(values)

    def nats(self, base: str, user: str) -> str:
        return _with_login(base, user, self.secrets[f"NATS_{user.upper()}_PASSWORD"])

    def database(self, base: str, role: str) -> str:
        return _with_login(base, role, self.secrets[f"PG_{role.upper()}_PASSWORD"])

    def provisioner(self, base: str) -> str:
        return _with_login(base, "eduplan_provisioner", self.secrets["PG_PROVISIONER_PASSWORD"])


def _required_secrets() -> list[str]:
    return [
        "EDUPLAN_MASTER_KEY",
        *(f"NATS_{s.upper()}_PASSWORD" for s in (*SERVICES, "operator")),
        *(f"PG_{s.upper()}_PASSWORD" for s in (*SERVICES, "provisioner")),
    ]


def _with_login(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    login = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return parts._replace(netloc=login).geturl()


def run_up(settings: Settings, console: Console, env_file: Path | None = None) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        credentials = Credentials.read(env_file) if env_file else None
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    endpoints = resolve_servers(
        settings.nats_url, settings.database_url, settings.state_dir, log=console.print
    )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        database_url = settings.database_url or asyncio.run(
            ensure_database(endpoints.database_url, DATABASE)
        )
        probe_url, reporting_url = endpoints.nats_url, database_url
        if credentials is not None:
            probe_url = credentials.nats(endpoints.nats_url, "operator")
            reporting_url = credentials.database(database_url, "projection")
            asyncio.run(provision(settings, probe_url, credentials.provisioner(database_url)))
            console.print("provisioned: streams and service tables", highlight=False)
        first = asyncio.run(ensure_first_operator(reporting_url))
        for name, module in SERVICES.items():
            env = {**os.environ, "EDUPLAN_NATS_URL": endpoints.nats_url}
            env["EDUPLAN_DATABASE_URL"] = database_url
            if credentials is not None:
                env["EDUPLAN_NATS_URL"] = credentials.nats(endpoints.nats_url, name)
                env["EDUPLAN_DATABASE_URL"] = credentials.database(database_url, name)
                env["EDUPLAN_MASTER_KEY"] = credentials.secrets["EDUPLAN_MASTER_KEY"]
                if name == "alerts":
                    env["EDUPLAN_REPORTING_DATABASE_URL"] = env["EDUPLAN_DATABASE_URL"]
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", module], env=env, start_new_session=True
            )
        asyncio.run(wait_until_ready(settings, probe_url, processes))
        console.print(
            f"\n[bold green]eduplan is up[/bold green]\n"
            f"  NATS           {redact(endpoints.nats_url)}\n"
            f"  PostgreSQL     {redact(database_url)}\n"
            + "".join(f"  {n:<14} pid {p.pid}\n" for n, p in processes.items())
            + f"  reports        {reporting_origin(settings)}/ (dashboard) and /api/...\n"
            + login_help(settings, first)
            + "Try: eduplan demo seed, or eduplan roster import FILE\n"
            + "press Ctrl-C to stop everything.",
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


async def provision(settings: Settings, operator_url: str, provisioner_url: str) -> None:
    await provision_streams_at(settings, operator_url, wait=10)
    await provision_schemas(provisioner_url)


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
    tls = nats_tls(settings.nats_tls_ca, settings.nats_tls_cert, settings.nats_tls_key)
    nc = await connect_nats(nats_url, "eduplan-up", wait=10, tls=tls)
    deadline = time.monotonic() + timeout
    try:
        for name, process in processes.items():
            probe = _bus_ready(nc, settings, name, user_of(nats_url) or "eduplan_up")
            ready = _http_ready(settings) if name == "projection" else probe
            while not await ready():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {process.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready within {timeout:.0f} s")
                await asyncio.sleep(0.2)
    finally:
        await nc.close()


def _bus_ready(
    nc: NATS, settings: Settings, service: str, actor: str
) -> Callable[[], Awaitable[bool]]:
    """A service serving commands answers even an unknown command (with a rejection, writing
    nothing); the `operator` NATS user may send just that probe."""
    sender = Sender("operator", PROVINCE, actor)
    subject = command_subject(service, "Ping", sender, settings.namespace)

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
