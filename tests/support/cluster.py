"""The whole platform on a three-node NATS cluster, as deploy/ ships it, on loopback.

Three nats-server nodes run deploy/nats/cluster.conf (accounts, generated users and
passwords, a person added by `eduplan identity add`); PostgreSQL is set up by
deploy/postgres/init.sql; `eduplan provision` creates the streams with three replicas; every
service runs as its own process (as many replicas as asked) with its own credentials and the
cluster's seed list. Nodes and service replicas can be killed (-9) and started again.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client as NATS

from shared.jetstream import server_options
from shared.launcher import SERVICES
from shared.servers import _free_port, _nats_binary, port_open
from shared.testing import start_process, stop_process, wait_for
from tests.support.secured import DEPLOY, NATS_USERS, SecuredPostgres, secured_postgres

MODULES = SERVICES
"""Each service's module, as `eduplan up` runs them."""
WORK_STREAMS = ("assistance", "staffing", "pairing", "evaluation")
STREAMS = ("ASSISTANCE", "STAFFING", "PAIRING", "EVALUATION", "ALERTS", "DEADLETTERS")
CLERK = "clerk_610831"
CLERK_DEPARTMENTS = ("aid_center", "office")
"""Student aid's clerk, and the office that adopts the county's plan in every work stream."""
COUNTY = "610831"


@dataclass
class Node:
    name: str
    client_port: int
    route_port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None


@dataclass
class NatsCluster:
    """Three nodes of cluster.conf, each with its own ports, store and copy of deploy/nats."""

    folder: Path
    passwords: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.passwords = {u: secrets.token_hex(12) for u in (*NATS_USERS, "admin", "route")}
        self.passwords[CLERK] = secrets.token_hex(12)
        template = self.folder / "conf"
        shutil.copytree(DEPLOY / "nats", template)
        added = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "identity", "add", CLERK,
             *(f"--department={d}" for d in CLERK_DEPARTMENTS), "--jurisdiction", COUNTY,
             "--password-stdin", "--conf", str(template / "people.conf")],
            input=self.passwords[CLERK] + "\n", capture_output=True, text=True, check=False,
            env=_clean_env(),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        for n in (1, 2, 3):
            node = Node(f"nats-{n}", _free_port(), _free_port(), self.folder / f"nats-{n}")
            shutil.copytree(template, node.folder)
            (node.folder / "test.conf").write_text(
                "include ./cluster.conf\n"
                f'jetstream {{ store_dir: "{node.folder / "jetstream"}" }}\n'
                "http_port: 0\n"
            )
            self.nodes.append(node)

    def env(self) -> dict[str, str]:
        env = {f"NATS_{u.upper()}_PASSWORD": p for u, p in self.passwords.items()}
        for n, node in enumerate(self.nodes, start=1):
            env[f"NATS_ROUTE_{n}"] = (
                f"nats-route://route:{self.passwords['route']}@127.0.0.1:{node.route_port}"
            )
        return env

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def start(self, name: str) -> None:
        node = self.node(name)
        command = [_nats_binary(), "-c", str(node.folder / "test.conf"), "-a", "127.0.0.1"]
        command += ["-p", str(node.client_port), "--cluster_listen"]
        command += [f"nats://127.0.0.1:{node.route_port}", "-l", str(node.folder / "nats.log")]
        node.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env(), "NATS_SERVER_NAME": node.name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", node.client_port, timeout=0.1):
            log = node.folder / "nats.log"
            assert node.process.poll() is None, log.read_text()[-3000:] if log.exists() else ""
            assert time.monotonic() < deadline, f"{name} did not start"
            time.sleep(0.05)

    def kill(self, name: str) -> None:
        """kill -9: the node writes nothing more, says goodbye to nobody."""
        node = self.node(name)
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        node.process = None

    def stop_all(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                stop_process(node.process)
                node.process = None

    def url(self, user: str) -> str:
        """The seed list: every node, the credentials in the first URL."""
        first, *rest = self.nodes
        urls = [f"nats://{user}:{self.passwords[user]}@127.0.0.1:{first.client_port}"]
        return ",".join(urls + [f"nats://127.0.0.1:{n.client_port}" for n in rest])

    async def connect(self, user: str = "operator") -> NATS:
        return await nats.connect(
            **server_options(self.url(user)),  # type: ignore[arg-type]
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
        )


@dataclass
class ClusterPlatform:
    folder: Path
    cluster: NatsCluster
    pg: SecuredPostgres
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    http_ports: dict[str, int] = field(default_factory=dict)

    def env(self, user: str, **extra: str) -> dict[str, str]:
        env = _clean_env() | {
            "EDUPLAN_NATS_URL": self.cluster.url(user),
            "EDUPLAN_LOG_JSON": "true",
            "EDUPLAN_STREAM_REPLICAS": "3",
            "COLUMNS": "200",
        }
        if user in MODULES:
            env["EDUPLAN_DATABASE_URL"] = self.pg.url(user)
            env["EDUPLAN_POOL_SIZE"] = "2"
            env["EDUPLAN_PROJECTION_POOL_SIZE"] = "3"
        if user == "alerts":
            env["EDUPLAN_REPORTING_DATABASE_URL"] = self.pg.url("alerts")
            env["EDUPLAN_ALERTS_INTERVAL"] = "5"
        return env | extra

    def provision(self, *options: str) -> None:
        provisioner = self.pg.url("provisioner")
        done = self.eduplan("operator", "provision", *options, EDUPLAN_DATABASE_URL=provisioner)
        assert done.returncode == 0, done.stderr

    def start(self, service: str, replica: int = 1) -> str:
        key = f"{service}#{replica}"
        extra: dict[str, str] = {}
        if service == "projection":
            self.http_ports.setdefault(key, _free_port())
            extra["EDUPLAN_HTTP_PORT"] = str(self.http_ports[key])
        self.processes[key] = start_process(
            MODULES[service], self.env(service, **extra), self.folder / f"{key}.log"
        )
        return key

    def kill(self, key: str) -> None:
        self.processes[key].send_signal(signal.SIGKILL)
        self.processes[key].wait()

    def log(self, key: str) -> str:
        path = self.folder / f"{key}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def started(self, *keys: str) -> None:
        async def all_started() -> bool:
            for key in keys:
                assert self.processes[key].poll() is None, self.log(key)[-3000:]
            return all("_started" in self.log(k) for k in keys)

        await wait_for(all_started, timeout=120, interval=0.2)

    def stop(self) -> None:
        for process in self.processes.values():
            stop_process(process)

    def eduplan(self, user: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", *args],
            env=self.env(user, **extra), capture_output=True, text=True, timeout=300,
            check=False, cwd=self.folder,
        )  # fmt: skip

    def clerk(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A clerk of county 610831, acting for the departments of every work stream."""
        return self.eduplan(CLERK, *args, **self._clerk_env())

    def clerk_in_background(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", *args],
            env=self.env(CLERK, **self._clerk_env()), cwd=self.folder,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def _clerk_env(self) -> dict[str, str]:
        return {
            "EDUPLAN_JURISDICTION": COUNTY,
            "EDUPLAN_REPORT_WAIT": "0",
            "EDUPLAN_COMMAND_TIMEOUT": "5",
        }

    async def database(self) -> asyncpg.Connection:
        """The superuser, over the unix socket (TCP logins need a password)."""
        server = self.pg.server
        return await asyncpg.connect(
            host=str(server.data_dir), port=server.port, user="postgres", database="eduplan"
        )

    async def counts(self) -> dict[str, Any]:
        """What each copy holds: events and outbox per service, messages per stream, the aid
        read models' figures."""
        conn = await self.database()
        try:
            found: dict[str, Any] = {}
            for service in WORK_STREAMS:
                found[f"{service} events"] = await conn.fetchval(
                    f"SELECT count(*) FROM {service}.events"
                )
                found[f"{service} outbox"] = await conn.fetchval(
                    f"SELECT count(*) FROM {service}.outbox"
                )
            store = await conn.fetchrow(
                "SELECT count(DISTINCT stream_id) FILTER (WHERE stream_type = 'student') AS s,"
                " count(*) FILTER (WHERE event_type = 'AidGranted') AS g FROM assistance.events"
            )
            found["students in store"], found["grants in store"] = store["s"], store["g"]
            found["students in read model"] = await _count(conn, "reporting.aid_students")
            found["grants in read model"] = await _count(conn, "reporting.aid_grants")
        finally:
            await conn.close()
        nc = await self.cluster.connect()
        try:
            js = nc.jetstream(timeout=5)
            for service in WORK_STREAMS:
                info = await js.stream_info(service.upper())
                found[f"{service} messages"] = info.state.messages
        finally:
            await nc.close()
        return found

    async def settled(self, timeout: float = 120) -> dict[str, Any]:
        """The counts once every copy agrees; fails with the last counts if they never do."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                counts = await self.counts()
            except Exception as exc:  # a stream without a leader for a moment
                counts = {"error": repr(exc)}
            if consistent(counts):
                return counts
            assert time.monotonic() < deadline, f"no convergence: {counts}"
            await asyncio.sleep(0.5)

    async def recording(self, event_type: str, at_least: int) -> None:
        """Wait until a batch is under way: this many events of the type are recorded."""
        conn = await self.database()
        try:

            async def under_way() -> bool:
                found = await conn.fetchval(
                    "SELECT count(*) FROM assistance.events WHERE event_type = $1", event_type
                )
                return int(found) >= at_least

            await wait_for(under_way, timeout=120, interval=0.02)
        finally:
            await conn.close()


def consistent(counts: dict[str, Any]) -> bool:
    if "error" in counts:
        return False
    return all(
        counts[f"{s} outbox"] == 0 and counts[f"{s} events"] == counts[f"{s} messages"]
        for s in WORK_STREAMS
    ) and (
        counts["students in read model"] == counts["students in store"]
        and counts["grants in read model"] == counts["grants in store"]
    )


async def stream_leader(nc: NATS, stream: str, timeout: float = 60) -> str:
    """The node leading the stream, once there is one (a restarted node may be rejoining)."""
    found: list[str] = []

    async def known() -> bool:
        try:
            info = await nc.jetstream(timeout=5).stream_info(stream)
        except Exception:
            return False
        if info.cluster is None or not info.cluster.leader:
            return False
        found[:] = [info.cluster.leader]
        return True

    await wait_for(known, timeout=timeout, interval=0.3)
    return found[0]


async def caught_up(nc: NATS, timeout: float = 60) -> None:
    """Every stream has its three replicas, all current, none lagging."""
    js = nc.jetstream(timeout=5)

    async def current() -> bool:
        for stream in STREAMS:
            try:
                info = await js.stream_info(stream)
            except Exception:
                return False
            replicas = (info.cluster.replicas or []) if info.cluster else []
            if len(replicas) != 2 or not all(r.current and not r.offline for r in replicas):
                return False
            if any(r.lag for r in replicas):
                return False
        return True

    await wait_for(current, timeout=timeout, interval=0.5)


async def jetstream_ready(cluster: NatsCluster, timeout: float = 30) -> None:
    """The three nodes have elected a meta leader: JetStream answers."""
    nc = await cluster.connect()
    try:

        async def answers() -> bool:
            try:
                await nc.jetstream(timeout=2).account_info()
                return True
            except Exception:
                return False

        await wait_for(answers, timeout=timeout, interval=0.3)
    finally:
        await nc.close()


@contextmanager
def cluster_platform(folder: Path) -> Iterator[ClusterPlatform]:
    """Servers up and provisioned; the services are started by the test."""
    folder.mkdir(parents=True, exist_ok=True)
    cluster = NatsCluster(folder)
    try:
        for node in cluster.nodes:
            cluster.start(node.name)
        with secured_postgres(folder / "postgres") as pg:
            platform = ClusterPlatform(folder, cluster, pg)
            try:
                yield platform
            finally:
                platform.stop()
    finally:
        cluster.stop_all()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("EDUPLAN_")}


async def _count(conn: asyncpg.Connection, table: str) -> int:
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    except asyncpg.UndefinedTableError:
        return 0
