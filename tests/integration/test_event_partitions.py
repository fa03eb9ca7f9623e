"""The events table partitioned by hash of stream id (`eduplan provision --partition-events`),
reached through the migrations on a store that already holds events: every event, outbox row
and position kept; the concurrency control and the command ids work as before; positions go
on; provisioning again changes nothing."""

from __future__ import annotations

import subprocess
import sys
from uuid import uuid4

import asyncpg
import pytest

from shared.eventstore import EVENT_PARTITIONS, ConcurrencyConflict, DuplicateCommand, EventStore
from shared.provision import provision_schemas
from shared.testing import Sandbox
from tests.integration.test_event_store import events, write

pytestmark = pytest.mark.integration
SCHEMA = "assistance"


async def test_an_existing_store_is_partitioned_with_every_event_kept(
    pool: asyncpg.Pool, sandbox: Sandbox
) -> None:
    await provision_schemas(sandbox.database_url, [SCHEMA])  # the store as it was
    store = EventStore(pool, SCHEMA)
    command = uuid4()
    await store.append([write(f"s-{i}", 0, events(3)) for i in range(40)])
    await store.append([write("s-0", 3, events(1), command_id=command)])
    await pool.execute(f"DELETE FROM {SCHEMA}.outbox WHERE position <= 100")  # relayed
    before = await pool.fetch(f"SELECT * FROM {SCHEMA}.events ORDER BY position")
    outbox = await pool.fetch(f"SELECT position FROM {SCHEMA}.outbox ORDER BY position")

    await provision_schemas(sandbox.database_url, [SCHEMA], partition_events=True)

    kind = await pool.fetchval(
        f"SELECT relkind::text FROM pg_class WHERE oid = '{SCHEMA}.events'::regclass"
    )
    assert kind == "p", "a partitioned table"
    spread = await pool.fetch(
        f"SELECT tableoid::regclass::text AS part, count(*) FROM {SCHEMA}.events GROUP BY 1"
    )
    assert len(spread) == EVENT_PARTITIONS, "forty streams land in every partition"
    assert await pool.fetch(f"SELECT * FROM {SCHEMA}.events ORDER BY position") == before
    assert await pool.fetch(f"SELECT position FROM {SCHEMA}.outbox ORDER BY position") == outbox

    with pytest.raises(ConcurrencyConflict):  # the stream is at version 4
        await store.append([write("s-0", 3, events(1))])
    with pytest.raises(DuplicateCommand):
        await store.append([write("s-0", 4, events(1), command_id=command)])
    await store.append([write("s-0", 4, events(2)), write("new", 0, events(1))])
    assert [e.version for e in await store.load("s-0")] == [1, 2, 3, 4, 5, 6]
    newest = await store.read_all(after=before[-1]["position"])
    assert [e.stream_id for e in newest] == ["s-0", "s-0", "new"], "positions go on"
    pending = await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.outbox")
    assert pending == len(outbox) + 3

    await provision_schemas(sandbox.database_url, [SCHEMA], partition_events=True)  # again
    await store.setup()
    versions = await pool.fetch(
        f"SELECT component, version FROM {SCHEMA}.schema_migrations"
        " WHERE component LIKE 'eventstore%' ORDER BY 1, 2"
    )
    assert [tuple(r) for r in versions] == [
        ("eventstore", 1), ("eventstore", 2), ("eventstore_partitions", 1)
    ]  # fmt: skip
    assert await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.events") == len(before) + 3


def provision(cli_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "provision", *args],
        env=cli_env | {"EDUPLAN_NATS_URL": "nats://127.0.0.1:1"},  # never asked: schemas only
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_a_department_provisions_only_its_own_tables(
    pool: asyncpg.Pool, sandbox: Sandbox, cli_env: dict[str, str]
) -> None:
    url = ["--database-url", sandbox.database_url]
    done = provision(
        cli_env, "--schemas-only", "--service", "assistance", "--partition-events", *url
    )
    assert done.returncode == 0, done.stderr
    assert "schemas: assistance" in done.stdout
    schemas = await pool.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('assistance', 'staffing')"
    )
    assert [r["nspname"] for r in schemas] == ["assistance"]
    kind = await pool.fetchval(
        "SELECT relkind::text FROM pg_class WHERE oid = 'assistance.events'::regclass"
    )
    assert kind == "p"

    for wrong, says in (
        (["--service", "finance"], "no such service: finance"),
        (["--schemas-only", "--streams-only"], "leave nothing to do"),
    ):
        refused = provision(cli_env, *wrong, *url)
        assert refused.returncode == 2, refused.stderr
        assert says in refused.stderr
        assert "Traceback" not in refused.stderr
