"""PostgreSQL down under a running service: commands get a typed `unavailable` answer at once
(never silence), the command line says what is down, and work resumes when it is back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from contracts.envelope import Accepted
from services.assistance.app import configure as configure_assistance
from services.projection.app import start_projection_service
from shared.commandbus import CommandClient, ServiceUnavailable, new_command
from shared.servers import EmbeddedPostgres, _free_port
from shared.service import ServiceRuntime, start_service
from shared.settings import Settings
from shared.testing import Sandbox, server_state_dir
from tests.e2e.conftest import tester as reporting_user
from tests.support.builders import register_student

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_postgres() -> AsyncIterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(server_state_dir("eduplan-pg-outage-") / "pg")
    server.start()
    conn = await asyncpg.connect(server.url)
    await conn.execute("CREATE DATABASE eduplan")
    await conn.close()
    yield server
    server.stop()


@pytest.fixture
async def service(
    own_postgres: EmbeddedPostgres, sandbox: Sandbox
) -> AsyncIterator[ServiceRuntime]:
    settings = Settings(
        nats_url=sandbox.nats_url,
        database_url=own_postgres.url.rsplit("/", 1)[0] + "/eduplan",
        namespace=sandbox.namespace,
    )
    runtime = await start_service("assistance", configure_assistance, settings)
    yield runtime
    await runtime.close()


async def test_postgres_down_is_answered_at_once_and_work_resumes_after(
    service: ServiceRuntime,
    own_postgres: EmbeddedPostgres,
    client: CommandClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDUPLAN_LANG", "zh")  # the client says the service's refusal

    def register() -> list[object]:
        return [new_command(register_student(), department="aid_center")]

    (first,) = await client.send(register())  # type: ignore[arg-type]
    assert isinstance(first, Accepted)

    own_postgres.stop()
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="学生资助服务无法连接数据库"):
        await client.send(register())  # type: ignore[arg-type]
    assert time.monotonic() - started < 10, "a typed answer, not the 30 s reply timeout"

    own_postgres.start()
    deadline = time.monotonic() + 15
    while True:
        try:
            (again,) = await client.send(register())  # type: ignore[arg-type]
            break
        except ServiceUnavailable:
            assert time.monotonic() < deadline, "the service did not recover"
    assert isinstance(again, Accepted)


async def test_reports_answer_json_503_while_postgres_is_down(
    own_postgres: EmbeddedPostgres, sandbox: Sandbox
) -> None:
    database_url = own_postgres.url.rsplit("/", 1)[0] + "/eduplan"
    port = _free_port()
    settings = Settings(
        nats_url=sandbox.nats_url,
        database_url=database_url,
        namespace=sandbox.namespace,
        http_port=port,
    )
    service = await start_projection_service(settings)
    try:
        _, token = await reporting_user(database_url)
        url = f"http://127.0.0.1:{port}/api/aid-coverage?term=2017-autumn"
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(url, headers=headers)).status_code == 200
            own_postgres.stop()
            started = time.monotonic()
            down = await http.get(url, headers=headers)
            assert time.monotonic() - started < 10
            own_postgres.start()
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/json")
        assert down.json()["error"] == "unavailable"
        assert "数据库" in down.json()["message"], "said in Chinese unless English is asked"
    finally:
        await service.close()
