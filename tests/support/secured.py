"""A deployment as the deploy/ files make it: nats-server with deploy/nats, PostgreSQL with
deploy/postgres/init.sql and password logins, each service with its own credentials.

Everything runs on loopback on ports of its own, in a temp folder: the deploy/nats folder
is copied there, so identities added by a test never touch the repository.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shared.keystore import MasterKeys
from shared.servers import EmbeddedPostgres, _free_port, _nats_binary, port_open, terminate

MASTER_KEY = MasterKeys.generate("test")
"""The deployment's master key, as its .env holds it."""

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = ("assistance", "staffing", "pairing", "evaluation", "alerts", "projection")
NATS_USERS = (*SERVICES, "operator", "downstream_610831")
PG_ROLES = (*SERVICES, "provisioner")


@dataclass
class SecuredNats:
    """nats-server running deploy/nats/nats-server.conf (a copy), with generated passwords."""

    folder: Path
    passwords: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> Path:
        return self.folder / "nats-server.conf"

    @property
    def people_conf(self) -> Path:
        return self.folder / "people.conf"

    def url(self, user: str, password: str | None = None) -> str:
        secret = password if password is not None else self.passwords[user]
        return f"nats://{user}:{secret}@127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {f"NATS_{u.upper()}_PASSWORD": p for u, p in self.passwords.items()}

    def start(self, extra: str = "") -> None:
        (self.folder / "test.conf").write_text(
            "include ./nats-server.conf\n"
            f'jetstream {{ store_dir: "{self.folder / "jetstream"}" }}\n'
            f"http_port: 0\n{extra}"
        )
        self.port = self.port or _free_port()
        log = self.folder / "nats.log"
        self.process = subprocess.Popen(
            [_nats_binary(), "-c", str(self.folder / "test.conf"), "-a", "127.0.0.1",
             "-p", str(self.port), "-l", str(log)],
            env={**os.environ, **self.env()}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port, timeout=0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text() if log.exists() else "nats-server failed")
            time.sleep(0.02)

    def reload(self) -> None:
        """Re-read the configuration (people.conf after `eduplan identity`), as SIGHUP does."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
            self.process = None


@contextlib.contextmanager
def secured_nats(folder: Path) -> Iterator[SecuredNats]:
    shutil.copytree(DEPLOY / "nats", folder)
    nats = SecuredNats(folder, {u: secrets.token_hex(12) for u in (*NATS_USERS, "admin")})
    nats.start()
    try:
        yield nats
    finally:
        nats.stop()


@dataclass
class SecuredPostgres:
    """An own PostgreSQL cluster with password logins over TCP, set up by init.sql."""

    server: EmbeddedPostgres
    passwords: dict[str, str]

    def url(self, role: str, password: str | None = None) -> str:
        login = "eduplan_provisioner" if role == "provisioner" else role
        secret = password if password is not None else self.passwords[role]
        return f"postgresql://{login}:{secret}@127.0.0.1:{self.server.port}/eduplan"


@contextlib.contextmanager
def secured_postgres(folder: Path) -> Iterator[SecuredPostgres]:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    server = EmbeddedPostgres(folder / "pg", passwords=True)
    server.start()
    passwords = {r: secrets.token_hex(12) for r in PG_ROLES}
    try:
        server.psql(
            DEPLOY / "postgres" / "init.sql",
            {f"PG_{r.upper()}_PASSWORD": p for r, p in passwords.items()},
        )
        yield SecuredPostgres(server, passwords)
    finally:
        server.stop()


def service_env(
    nats: SecuredNats, pg: SecuredPostgres, service: str, **extra: str
) -> dict[str, str]:
    """The environment docker-compose.yml gives a service: its own NATS user and role."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUPLAN_")}
    env |= {
        "EDUPLAN_NATS_URL": nats.url(service),
        "EDUPLAN_DATABASE_URL": pg.url(service),
        "EDUPLAN_LOG_JSON": "true",
        "EDUPLAN_MASTER_KEY": MASTER_KEY,
        **extra,
    }
    if service == "alerts":
        env["EDUPLAN_REPORTING_DATABASE_URL"] = pg.url("alerts")
    return env


def eduplan(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """The command line, as a person or operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
        cwd=cwd,
    )  # fmt: skip
