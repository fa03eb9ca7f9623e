"""Who may read which keys, as deploy/postgres/init.sql and `eduplan provision` set it up on
a PostgreSQL of the test's own, each role logging in with its own password."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from uuid import uuid4

import asyncpg
import pytest

from shared.keystore import KeyStore, MasterKeys
from shared.provision import provision_schemas
from shared.testing import server_state_dir
from tests.support.secured import SecuredPostgres, secured_postgres

pytestmark = pytest.mark.integration

MASTER = MasterKeys.parse(MasterKeys.generate("grants"))


@pytest.fixture(scope="module")
def pg() -> Iterator[SecuredPostgres]:
    folder = server_state_dir("eduplan-grants-")  # reachable by the postgres system user
    try:
        with secured_postgres(folder / "postgres") as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def provisioned(pg: SecuredPostgres) -> SecuredPostgres:
    await provision_schemas(pg.url("provisioner"))
    return pg


async def as_role(pg: SecuredPostgres, role: str) -> asyncpg.Connection:
    return await asyncpg.connect(pg.url(role))


async def test_each_service_reads_its_own_keys_the_projection_all_and_others_none(
    provisioned: SecuredPostgres,
) -> None:
    pg = provisioned
    student, teacher = f"student:{uuid4()}", f"teacher:{uuid4()}"
    assistance, staffing = await as_role(pg, "assistance"), await as_role(pg, "staffing")
    projection, alerts = await as_role(pg, "projection"), await as_role(pg, "alerts")
    try:
        mine = await KeyStore(MASTER, "assistance").fetch_or_create(assistance, [student])
        theirs = await KeyStore(MASTER, "staffing").fetch_or_create(staffing, [teacher])

        assert await KeyStore(MASTER, "staffing").fetch(staffing, [student]) == {}
        assert await KeyStore(MASTER, "assistance").fetch(assistance, [teacher]) == {}
        assert await KeyStore(MASTER).fetch(projection, [student, teacher]) == mine | theirs
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await alerts.fetch("SELECT * FROM keystore.data_keys")
        # nobody erases, or passes a key off as, another service's
        with pytest.raises(asyncpg.PostgresError):
            await KeyStore(MASTER, "staffing").erase(staffing, student)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await KeyStore(MASTER).erase(projection, student)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await staffing.execute(
                "INSERT INTO keystore.data_keys (key_id, service, erased_at)"
                " VALUES ('student:x', 'assistance', now())"
            )
        assert await KeyStore(MASTER, "assistance").fetch(assistance, [student]) == mine
        # the erasing service destroys its key; the projection then finds it gone too
        assert await KeyStore(MASTER, "assistance").erase(assistance, student)
        assert await KeyStore(MASTER).fetch(projection, [student]) == {student: None}
    finally:
        for conn in (assistance, staffing, projection, alerts):
            await conn.close()


async def test_the_pseudonym_keys_are_readable_only_by_their_own_service(
    provisioned: SecuredPostgres,
) -> None:
    pg = provisioned
    assistance, staffing = await as_role(pg, "assistance"), await as_role(pg, "staffing")
    projection, alerts = await as_role(pg, "projection"), await as_role(pg, "alerts")
    try:
        own = await assistance.fetch("SELECT service FROM keystore.pseudonym_keys")
        assert [r["service"] for r in own] == ["assistance"]
        assert (
            await staffing.fetchval(
                "SELECT count(*) FROM keystore.pseudonym_keys WHERE service = 'assistance'"
            )
            == 0
        )
        for other in (projection, alerts):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await other.fetch("SELECT * FROM keystore.pseudonym_keys")
        # and no key is left in the service's own schema, beside its events
        assert await assistance.fetchval("SELECT to_regclass('assistance.pseudonym_key')") is None
    finally:
        for conn in (assistance, staffing, projection, alerts):
            await conn.close()
