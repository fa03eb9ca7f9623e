"""The platform as deploy/ ships it: nats-server with deploy/nats (accounts, permissions, people
added with `eduplan identity`), PostgreSQL set up by deploy/postgres/init.sql with password
logins, `eduplan provision` as the operator, every service with its own credentials, and the
student-aid slice driven through the command line by a department's clerk."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from shared.jetstream import PermissionRefused, connect_nats, refusals_of, stream_config
from shared.servers import _free_port
from shared.testing import server_state_dir, start_process, stop_process, wait_for
from tests.support.secured import (
    SecuredNats,
    SecuredPostgres,
    eduplan,
    secured_nats,
    secured_postgres,
    service_env,
)

pytestmark = pytest.mark.e2e
TERM = "2017-autumn"
CLERK, FINANCE = "zhang_wei", "li_na"
PEOPLE = {CLERK: ("aid_center", "610831"), FINANCE: ("finance", "610000")}


@dataclass
class Deployment:
    nats: SecuredNats
    pg: SecuredPostgres
    workdir: Path
    passwords: dict[str, str]
    http_port: int
    reporting_token: str

    def person(self, user: str, **extra: str) -> dict[str, str]:
        """The environment of a person's command line: their NATS identity and jurisdiction."""
        base = service_env(self.nats, self.pg, "assistance")
        base.pop("EDUPLAN_DATABASE_URL")
        return base | {
            "EDUPLAN_NATS_URL": self.nats.url(user, self.passwords[user]),
            "EDUPLAN_JURISDICTION": PEOPLE[user][1],
            "EDUPLAN_REPORTING_URL": f"http://127.0.0.1:{self.http_port}",
            "EDUPLAN_REPORTING_TOKEN": self.reporting_token,
            "EDUPLAN_COMMAND_TIMEOUT": "10",
            "COLUMNS": "200",
            **extra,
        }

    async def events(self, where: str = "true") -> list[dict[str, Any]]:
        conn = await asyncpg.connect(self.pg.url("provisioner"))
        try:
            await conn.execute("SET ROLE assistance_owner")
            rows = await conn.fetch(f"SELECT * FROM assistance.events WHERE {where}")
        finally:
            await conn.close()
        return [{**r, "metadata": json.loads(r["metadata"])} for r in rows]


@pytest.fixture(scope="module")
def secured_folder() -> Path:
    return server_state_dir("eduplan-secured-")


@pytest.fixture(scope="module")
def servers(secured_folder: Path) -> Iterator[tuple[SecuredNats, SecuredPostgres]]:
    with (
        secured_nats(secured_folder / "nats") as nats_server,
        secured_postgres(secured_folder / "postgres") as pg,
    ):
        yield nats_server, pg


@pytest.fixture(scope="module")
async def deployment(
    servers: tuple[SecuredNats, SecuredPostgres], secured_folder: Path
) -> AsyncIterator[Deployment]:
    """`eduplan up --env-file` on the secured servers: provisioning as the operator, then
    every service with its own NATS user and PostgreSQL role."""
    nats_server, pg = servers
    operator = service_env(nats_server, pg, "assistance") | {
        "EDUPLAN_NATS_URL": nats_server.url("operator"),
    }
    passwords = {CLERK: "clerk-password-610831", FINANCE: "finance-password-610000"}
    for user, (department, jurisdiction) in PEOPLE.items():
        added = eduplan(
            operator, "identity", "add", user, "--department", department,
            "--jurisdiction", jurisdiction, "--password-stdin",
            "--conf", str(nats_server.people_conf), stdin=passwords[user] + "\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    assert "$2b$" in nats_server.people_conf.read_text(), "bcrypt hashes, not passwords"
    assert passwords[CLERK] not in nats_server.people_conf.read_text()
    nats_server.reload()

    workdir = secured_folder / "work"
    workdir.mkdir()
    env_file = workdir / ".env"
    secrets = nats_server.env() | {f"PG_{r.upper()}_PASSWORD": p for r, p in pg.passwords.items()}
    new_key = eduplan(service_env(nats_server, pg, "assistance"), "privacy", "new-master-key")
    assert new_key.returncode == 0, new_key.stderr
    secrets["EDUPLAN_MASTER_KEY"] = new_key.stdout.strip()
    env_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    http_port = _free_port()
    up_env = service_env(nats_server, pg, "assistance")
    up_env |= {
        "EDUPLAN_NATS_URL": f"nats://127.0.0.1:{nats_server.port}",
        "EDUPLAN_DATABASE_URL": f"postgresql://127.0.0.1:{pg.server.port}/eduplan",
        "EDUPLAN_HTTP_PORT": str(http_port),
        "EDUPLAN_ALERTS_INTERVAL": "1",
    }
    log = workdir / "up.log"
    up = start_process("services.cli.main", up_env, log, "up", "--env-file", str(env_file))
    try:
        await wait_for(is_up(log, up), timeout=120, interval=0.2)
        token = re.search(r"EDUPLAN_REPORTING_TOKEN=(\S+)", log.read_text())
        assert token, "eduplan up prints the first operator's token"
        yield Deployment(nats_server, pg, workdir, passwords, http_port, token[1])
    finally:
        stop_process(up)
    assert "stopped." in log.read_text()


def is_up(log: Path, process: Any) -> Any:
    def text() -> str:
        return log.read_text() if log.exists() else ""

    async def check() -> bool:
        assert process.poll() is None, text()
        return "eduplan is up" in text()

    return check


def run(deployment: Deployment, user: str, *args: str, **extra: str) -> Any:
    return eduplan(deployment.person(user, **extra), *args, cwd=deployment.workdir)


async def test_a_clerk_runs_the_aid_slice_with_the_shipped_secured_configuration(
    deployment: Deployment,
) -> None:
    roster = deployment.workdir / "roster.csv"
    assert run(deployment, CLERK, "sample-roster", str(roster)).returncode == 0
    imported = run(deployment, CLERK, "roster", "import", str(roster), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["registered"] == 6718

    granted = run(deployment, CLERK, "aid", "grant", "--term", TERM, "--county", "610831")
    assert granted.returncode == 0, granted.stderr
    grants = await deployment.events("event_type = 'AidGranted'")
    assert grants
    assert {g["metadata"]["actor"] for g in grants} == {CLERK}, "the identity, not a claim"
    assert {g["metadata"]["department"] for g in grants} == {"aid_center"}

    async def projected() -> bool:
        report = run(
            deployment, CLERK, "report", "aid-coverage", "--term", TERM,
            "--county", "610831", "--json",
        )  # fmt: skip
        if report.returncode != 0:
            return False
        rows = json.loads(report.stdout)
        return sum(r["aided"] for r in rows) == len({g["stream_id"] for g in grants})

    await wait_for(projected, timeout=60, interval=0.5)


async def test_every_service_registers_its_schemas_under_its_own_permissions(
    deployment: Deployment,
) -> None:
    log = (deployment.workdir / "up.log").read_text()
    assert log.count('"schemas_published"') == 5, (
        "assistance, staffing, pairing, evaluation, alerts"
    )
    assert "schema_registry_unavailable" not in log
    assert "nats_permission_refused" not in log


async def test_a_forged_department_or_county_is_refused_by_the_server(
    deployment: Deployment,
) -> None:
    before = len(await deployment.events())
    started_at = time.monotonic()
    as_finance = run(
        deployment, CLERK, "funds", "request", "--county", "610831", "--request-id", "ZZ-1",
        "--school-year", "2017", "--students", "10", "--rate", "500.00", "--on", "2017-09-20",
    )  # fmt: skip
    assert as_finance.returncode == 1, as_finance.stderr
    assert "NATS 服务器拒绝了" in as_finance.stderr, "said in Chinese by default"
    assert "部门" in as_finance.stderr
    assert "Traceback" not in as_finance.stderr
    assert time.monotonic() - started_at < 8, "refused at once, not after a timeout"

    other_county = run(
        deployment, CLERK, "aid", "grant", "--term", TERM, "--county", "610802",
        EDUPLAN_JURISDICTION="610802",
    )  # fmt: skip
    assert other_county.returncode == 1, other_county.stderr
    assert "NATS 服务器拒绝了" in other_county.stderr
    assert len(await deployment.events()) == before, "nothing written"

    # the province's finance clerk may: the same command, their own identity
    allowed = run(
        deployment, FINANCE, "funds", "request", "--county", "610831", "--request-id", "ZZ-1",
        "--school-year", "2017", "--students", "10", "--rate", "500.00", "--on", "2017-09-20",
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    (request,) = await deployment.events("event_type = 'PublicFundsRequested'")
    assert request["metadata"]["actor"] == FINANCE


async def test_rebuilds_and_as_of_reports_run_under_the_projection_s_permissions(
    deployment: Deployment,
) -> None:
    base = f"http://127.0.0.1:{deployment.http_port}/api/aid-coverage?term={TERM}&county=610831"

    def get(url: str) -> Any:
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {deployment.reporting_token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    live = get(base)
    assert sum(r["aided"] for r in live) > 0
    assert get(f"{base}&as_of=2100-01-01") == live, "a snapshot of everything equals live"
    assert sum(r["aided"] for r in get(f"{base}&as_of=2000-01-01")) == 0

    rebuilt = run(deployment, CLERK, "projection", "rebuild", "aid_coverage")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert get(base) == live
    assert "nats_permission_refused" not in (deployment.workdir / "up.log").read_text()


async def test_a_wrong_password_is_one_clear_line(deployment: Deployment) -> None:
    env = deployment.person(CLERK)
    env["EDUPLAN_NATS_URL"] = deployment.nats.url(CLERK, "not-the-password")
    started_at = time.monotonic()
    result = eduplan(env, "aid", "grant", "--term", TERM, "--county", "610831")
    assert result.returncode == 2
    assert "服务器拒绝了该用户名或密码" in result.stderr, "said in Chinese by default"
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started_at < 10


async def test_a_service_cannot_take_over_another_department_s_commands(
    deployment: Deployment,
) -> None:
    nc = await connect_nats(deployment.nats.url("assistance"), "takeover")
    try:
        js = nc.jetstream(timeout=3)
        wider = stream_config("assistance", "", 7200)
        wider.subjects = [*(wider.subjects or []), "commands.staffing.>"]
        with pytest.raises(PermissionRefused):
            await refusals_of(nc).guard("$JS.API.STREAM.UPDATE.ASSISTANCE", js.update_stream(wider))

        async def subscribed() -> None:
            await nc.subscribe("commands.staffing.>")
            await nc.flush()  # the server's refusal comes before its PONG

        with pytest.raises(PermissionRefused):
            await refusals_of(nc).guard("commands.staffing.>", subscribed())
        assert (await js.stream_info("ASSISTANCE")).config.subjects == ["events.assistance.>"]
    finally:
        await nc.close()


async def test_the_projection_cannot_touch_a_downstream_reader_s_consumer(
    deployment: Deployment,
) -> None:
    reader = await connect_nats(deployment.nats.url("downstream_610831"), "reader")
    projection = await connect_nats(deployment.nats.url("projection"), "projection-test")
    try:
        await reader.jetstream(timeout=3).add_consumer(
            "ASSISTANCE",
            ConsumerConfig(
                name="downstream_610831", durable_name="downstream_610831",
                filter_subject="events.assistance.610831.>", ack_policy=AckPolicy.EXPLICIT,
            ),
        )  # fmt: skip
        subject = "$JS.API.CONSUMER.DELETE.ASSISTANCE.downstream_610831"
        with pytest.raises(PermissionRefused):
            await refusals_of(projection).guard(
                subject, projection.jetstream(timeout=3).delete_consumer(
                    "ASSISTANCE", "downstream_610831"
                ),
            )  # fmt: skip
        info = await reader.jetstream(timeout=3).consumer_info("ASSISTANCE", "downstream_610831")
        assert info.name == "downstream_610831"
    finally:
        await reader.close()
        await projection.close()


async def test_service_roles_insert_and_read_their_events_never_change_them(
    deployment: Deployment,
) -> None:
    conn = await asyncpg.connect(deployment.pg.url("assistance"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM assistance.events") > 0
        for statement in (
            "UPDATE assistance.events SET data = '{}'",
            "DELETE FROM assistance.events",
            "TRUNCATE assistance.events",
            "ALTER TABLE assistance.events DROP CONSTRAINT events_stream_version_key",
            "SELECT count(*) FROM staffing.events",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    finally:
        await conn.close()


async def test_readers_of_the_read_models_see_no_personal_data(deployment: Deployment) -> None:
    conn = await asyncpg.connect(deployment.pg.url("alerts"))
    try:

        async def built() -> bool:
            found = await conn.fetchval("SELECT to_regclass('reporting.aid_grants')")
            return found is not None

        await wait_for(built, timeout=30)
        assert await conn.fetchval("SELECT count(*) FROM reporting.aid_grants") >= 0
        for table in ("aid_student_personal", "pairing_personal"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(f"SELECT * FROM reporting.{table}")
    finally:
        await conn.close()


async def test_nats_refuses_the_old_shared_cli_user(deployment: Deployment) -> None:
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await nats.connect(
            f"nats://cli:anything@127.0.0.1:{deployment.nats.port}",
            allow_reconnect=False,
            connect_timeout=2,
        )
    await asyncio.sleep(0)
