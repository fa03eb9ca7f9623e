"""The embedded servers against real nats-server and postgres processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from shared import servers
from shared.servers import (
    EmbeddedNats,
    EmbeddedPostgres,
    ServerEndpoints,
    port_open,
    resolve_servers,
)

pytestmark = pytest.mark.integration
root_only = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="concerns running as root"
)


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """As root, postgres runs as user 'postgres', which cannot enter pytest's 0o700 tmp_path."""
    path = Path(tempfile.mkdtemp(prefix="eduplan-servers-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def _publish(url: str) -> None:
    client = await nats.connect(url)
    stream = client.jetstream()
    await stream.add_stream(name="SERVERS_TEST", subjects=["servers.test.>"])
    await stream.publish("servers.test.one", b"kept across restarts")
    await client.close()


async def _stored_messages(url: str) -> int:
    client = await nats.connect(url)
    info = await client.jetstream().stream_info("SERVERS_TEST")
    await client.close()
    return info.state.messages


def test_embedded_nats_restarts_on_its_port_with_its_streams(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    try:
        url = server.start()
        assert url == f"nats://127.0.0.1:{server.port}"
        assert server.is_running
        assert port_open("127.0.0.1", server.port)
        asyncio.run(_publish(url))

        server.stop()
        assert not server.is_running
        assert not port_open("127.0.0.1", server.port)

        assert server.start() == url
        assert asyncio.run(_stored_messages(url)) == 1
    finally:
        server.stop()
    assert not port_open("127.0.0.1", server.port)


def test_embedded_nats_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = EmbeddedNats(tmp_path / "nats", port=busy.getsockname()[1])
        with pytest.raises(RuntimeError, match="already in use"):
            server.start()
    assert not server.is_running


async def _query(dsn: str, sql: str) -> object:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


def test_embedded_postgres_restarts_with_its_data(world_readable_dir: Path) -> None:
    server = EmbeddedPostgres(world_readable_dir / "postgres")
    try:
        dsn = server.start()
        assert dsn == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
        assert asyncio.run(_query(dsn, "select 1")) == 1
        asyncio.run(_query(dsn, "create table kept as select 42 as answer"))

        server.stop()
        assert not server.is_running
        assert not port_open("127.0.0.1", server.port)

        assert server.start() == dsn
        assert asyncio.run(_query(dsn, "select answer from kept")) == 42
    finally:
        server.stop()
    assert not port_open("127.0.0.1", server.port)


@root_only
def test_embedded_postgres_explains_an_unreachable_data_dir(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(RuntimeError, match="cannot reach"):
        EmbeddedPostgres(private / "postgres").start()


@root_only
def test_pgserver_fallback_is_refused_to_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(servers, "_postgres_bin_dir", lambda: None)
    with pytest.raises(RuntimeError, match="cannot run as root"):
        EmbeddedPostgres(tmp_path / "postgres").start()


def test_configured_urls_start_nothing(tmp_path: Path) -> None:
    lines: list[str] = []
    endpoints = resolve_servers(
        "nats://nats.example:4222",
        "postgresql://app:secret@db.example:5432/app",
        tmp_path,
        log=lines.append,
    )
    assert endpoints == ServerEndpoints(
        nats_url="nats://nats.example:4222",
        database_url="postgresql://app:secret@db.example:5432/app",
        started=[],
    )
    assert len(lines) == 2
    assert "secret" not in "".join(lines)
    assert not list(tmp_path.iterdir())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_with_nothing_listening_both_servers_are_embedded_and_stopped_after(
    world_readable_dir: Path,
) -> None:
    lines: list[str] = []
    nats_port, database_port = _free_port(), _free_port()
    endpoints = resolve_servers(
        None,
        None,
        world_readable_dir,
        log=lines.append,
        nats_port=nats_port,
        database_port=database_port,
    )
    try:
        assert endpoints.nats_url == f"nats://127.0.0.1:{nats_port}"
        assert f"127.0.0.1:{database_port}" in endpoints.database_url
        assert [type(s) for s in endpoints.started] == [EmbeddedNats, EmbeddedPostgres]
        assert all("started embedded" in line for line in lines)
        asyncio.run(_publish(endpoints.nats_url))

        async def select_one() -> int:
            conn = await asyncpg.connect(endpoints.database_url)
            try:
                return int(await conn.fetchval("SELECT 1"))
            finally:
                await conn.close()

        assert asyncio.run(select_one()) == 1
    finally:
        endpoints.stop_all()
    assert not port_open("127.0.0.1", nats_port)
    assert not port_open("127.0.0.1", database_port)
