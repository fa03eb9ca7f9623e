"""What an operator sets up before the services start, with rights the services do not hold.

In a secured deployment a service may neither create nor reconfigure its JetStream stream
(it could widen its subjects and capture another department's commands) nor change its own
tables (its events must stay as written). `eduplan provision` does both, once per release:
each service's stream and the dead-letter stream, with the operator's NATS identity; each
service's tables, migrated as the schema's owner role, and the service role granted what it
uses (insert and read its events, never update or delete them); the schema registry's bucket,
where each service may then write only its own keys.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence

import asyncpg
import structlog
from nats.aio.client import Client as NATS

from contracts.schema_registry import kv_stream
from shared import eventstore, keystore, pseudonyms
from shared.db import connect
from shared.jetstream import connect_nats, ensure_stream, nats_tls
from shared.migrations import grant, migrate
from shared.projections import dead_letter_stream
from shared.schema_registry import open_bucket
from shared.settings import Settings

log = structlog.get_logger()

DOMAIN_SERVICES = ("assistance", "staffing", "pairing", "evaluation", "alerts")
"""Services with an event store (a Postgres schema of their own) and a JetStream stream."""
SEALING_SERVICES = ("assistance", "staffing", "pairing", "evaluation")
"""Services that record personal parts: they read, make and erase their own data keys."""
KEY_READERS = "keystore_readers"
"""Role whose members read every data key (the projection, to show names to those allowed)."""


async def provision_streams_at(settings: Settings, nats_url: str, wait: float = 5.0) -> list[str]:
    """`provision_streams` as the NATS user of `nats_url` (the operator), with the settings'
    TLS, namespace, duplicate window and replicas; the connection closed after."""
    tls = nats_tls(settings.nats_tls_ca, settings.nats_tls_cert, settings.nats_tls_key)
    nc = await connect_nats(nats_url, "eduplan-provision", wait=wait, tls=tls)
    try:
        return await provision_streams(
            nc, settings.namespace, settings.duplicate_window, settings.stream_replicas
        )
    finally:
        await nc.close()


async def provision_streams(
    nc: NATS,
    namespace: str = "",
    duplicate_window: float = 7200,
    replicas: int = 1,
    services: Sequence[str] = DOMAIN_SERVICES,
) -> list[str]:
    """Create or update every service's stream, the dead-letter stream and the schema
    registry's bucket; their names."""
    js = nc.jetstream(timeout=10)
    names = []
    for service in services:
        info = await ensure_stream(js, service, namespace, duplicate_window, replicas)
        names.append(info.config.name or service)
    dead = dead_letter_stream(namespace)
    dead.num_replicas = replicas
    try:
        await js.update_stream(dead)
    except Exception:
        await js.add_stream(dead)
    names.append(dead.name or "DEADLETTERS")
    await open_bucket(nc, namespace, replicas)
    names.append(kv_stream(namespace))
    log.info("streams_provisioned", streams=names)
    return names


async def provision_schemas(
    dsn: str, services: Sequence[str] = DOMAIN_SERVICES, *, partition_events: bool = False
) -> list[str]:
    """Migrate each service's schema as its owner role (`<service>_owner`, when there is
    one) and grant the service role (`<service>`, when there is one) what it uses.
    `partition_events`: also partition each events table by hash of stream id (once; an
    events table partitioned before stays so)."""
    conn = await connect(dsn, "eduplan-provision")
    done = []
    try:
        async with _as_owner(conn, keystore.SCHEMA):
            await migrate(conn, keystore.SCHEMA, "keystore", keystore.MIGRATIONS)
            if await _role_exists(conn, KEY_READERS):
                await grant(conn, keystore.SCHEMA, KEY_READERS, keystore.READER_GRANTS)
        for service in services:
            async with _as_owner(conn, service) as has_owner:
                await migrate(conn, service, "eventstore", eventstore.MIGRATIONS)
                if partition_events:
                    await eventstore.partition_events(conn, service)
                old_key = await pseudonyms.old_key(conn, service)
                if has_owner and await _role_exists(conn, service):
                    await grant(conn, service, service, eventstore.RUNTIME_GRANTS)
            async with _as_owner(conn, keystore.SCHEMA):
                if await keystore.pseudonym_key(conn, service) is None:
                    await keystore.store_pseudonym_key(
                        conn, service, old_key or secrets.token_bytes(32)
                    )
                if service in SEALING_SERVICES and await _role_exists(conn, service):
                    await grant(conn, keystore.SCHEMA, service, keystore.SERVICE_GRANTS)
            async with _as_owner(conn, service):
                await migrate(conn, service, "pseudonyms", pseudonyms.MIGRATIONS)
            done.append(service)
    finally:
        await conn.close()
    log.info("schemas_provisioned", schemas=done)
    return done


@contextlib.asynccontextmanager
async def _as_owner(conn: asyncpg.Connection, schema: str) -> AsyncIterator[bool]:
    """Act as the schema's owner role (`<schema>_owner`) when there is one; whether there is."""
    owner = f"{schema}_owner"
    has_owner = await _role_exists(conn, owner)
    if has_owner:
        await conn.execute(f'SET ROLE "{owner}"')
    try:
        yield has_owner
    finally:
        await conn.execute("RESET ROLE")


async def _role_exists(conn: asyncpg.Connection, role: str) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", role)
    )
