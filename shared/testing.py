"""Helpers for tests and benchmarks: isolated sandboxes on shared servers, service processes.

A sandbox is a database of its own (random suffix, dropped afterwards) and a namespace for
streams and subjects, so runs never see, or wipe, state they did not create.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats

from shared.servers import ServerEndpoints, resolve_servers


def server_state_dir(prefix: str) -> Path:
    """A fresh temp dir for embedded servers; open to user postgres, who runs them as root."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def test_servers(state_dir: Path) -> ServerEndpoints:
    """The servers tests use: the same fallbacks as `eduplan up`."""
    return resolve_servers(
        os.environ.get("EDUPLAN_NATS_URL"),
        os.environ.get("EDUPLAN_DATABASE_URL"),
        state_dir,
        log=lambda line: print(f"[test servers] {line}", file=sys.stderr),
    )


@dataclass
class Sandbox:
    nats_url: str
    server_url: str
    database_url: str
    database: str
    namespace: str

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "EDUPLAN_NATS_URL": self.nats_url,
            "EDUPLAN_DATABASE_URL": self.database_url,
            "EDUPLAN_NAMESPACE": self.namespace,
            "EDUPLAN_LOG_JSON": "true",
            **extra,
        }


async def create_sandbox(nats_url: str, server_url: str, prefix: str = "t") -> Sandbox:
    suffix = secrets.token_hex(4)
    database = f"eduplan_{prefix}_{suffix}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    base, _, _ = server_url.partition("?")
    database_url = f"{base.rsplit('/', 1)[0]}/{database}"
    return Sandbox(nats_url, server_url, database_url, database, f"{prefix}{suffix}")


async def drop_sandbox(sandbox: Sandbox) -> None:
    """Delete the sandbox's streams and database, and nothing else."""
    nc = await nats.connect(sandbox.nats_url)
    try:
        js = nc.jetstream()
        for name in await js.streams_info():
            stream = name.config.name or ""
            if stream.startswith(
                (f"{sandbox.namespace.upper()}_", f"KV_{sandbox.namespace.upper()}_")
            ):
                await js.delete_stream(stream)
    finally:
        await nc.close()
    conn = await asyncpg.connect(sandbox.server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{sandbox.database}" WITH (FORCE)')
    finally:
        await conn.close()


def start_process(
    module: str, env: dict[str, str], log: Path, *args: str
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 30.0, interval: float = 0.05
) -> None:
    """Await an async predicate until it is true; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if await predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s: {predicate}")
        await asyncio.sleep(interval)
