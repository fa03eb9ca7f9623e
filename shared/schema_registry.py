"""Publish a service's message schemas into the schema registry on the bus, at start.

Idempotent: a key whose value is already the same gets no new revision. Safe with replicas
and rolling upgrades: a key is created only if absent, and replaced (compare-and-set) only by
a schema of a higher revision, so an older replica never puts an older schema back. It needs
only `$KV.<bucket>.<key>` for its own keys and direct gets of them, once the bucket exists
(`python -m shared.schema_registry --help` prints the permissions or creates the bucket).
Publishing never stops a service: if the registry cannot be reached it logs why and goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from functools import cache

import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from contracts.catalogue import Message, messages_of
from contracts.released import read_released
from contracts.schema_registry import RegisteredSchema, bucket_name, key_subject, kv_stream

log = structlog.get_logger()
HISTORY = 16
"""Revisions kept per key, so a consumer can see what a schema was before."""
TIMEOUT = 2.0
"""Seconds per registry request: a refused one must not hold a service's start for long."""


def registered(message: Message) -> RegisteredSchema:
    schema, released = message.schema(), read_released(message)
    revisions = released.revisions if released else ()
    matching = [n for n, r in enumerate(revisions, start=1) if r.schema == schema]
    return RegisteredSchema(
        kind=message.kind,
        service=message.service,
        type=message.name,
        version=message.version,
        mode=message.mode.value,
        json_schema=schema,
        example=message.example(),
        released=revisions[matching[-1] - 1].released if matching else None,
        revision=matching[-1] if matching else len(revisions) + 1,
    )


@cache
def schemas_of(service: str) -> tuple[RegisteredSchema, ...]:
    """What a service registers: its events and commands, and the envelopes."""
    return tuple(registered(m) for m in messages_of(service))


async def open_bucket(nc: NATS, namespace: str = "", replicas: int = 1) -> KeyValue:
    """The registry's bucket, created (file storage, direct gets) if it does not exist."""
    js = nc.jetstream(timeout=TIMEOUT)
    try:
        return await js.key_value(bucket_name(namespace))
    except BucketNotFoundError:
        config = KeyValueConfig(
            bucket=bucket_name(namespace),
            description="Schema registry: JSON Schema and example of every message, by "
            "<type>.v<version>.",
            history=HISTORY,
            storage=StorageType.FILE,
            replicas=replicas,
            direct=True,
        )
        return await js.create_key_value(config)


async def put_schema(kv: KeyValue, schema: RegisteredSchema) -> str:
    """Put one schema unless the registry has it or a higher revision; says what it did."""
    value = schema.to_bytes()
    for _ in range(3):  # another replica may write between our get and our put
        try:
            entry = await kv.get(schema.key)
        except KeyNotFoundError:
            entry = None
        try:
            if entry is None or entry.value is None:
                await kv.create(schema.key, value)
                return "created"
            if entry.value == value:
                return "unchanged"
            stored = RegisteredSchema.model_validate_json(entry.value)
            if not _supersedes(schema, stored):
                return "kept"
            await kv.update(schema.key, value, last=entry.revision)
            return "updated"
        except KeyWrongLastSequenceError:
            continue
    return "contended"


def _supersedes(ours: RegisteredSchema, stored: RegisteredSchema) -> bool:
    if ours.revision != stored.revision:
        return ours.revision > stored.revision
    return ours.released is not None and stored.released is None


async def publish_schemas(
    nc: NATS, service: str, namespace: str = "", replicas: int = 1
) -> Counter[str]:
    """Register a service's schemas; how many were created, updated, unchanged, kept."""
    started = time.perf_counter()
    schemas = schemas_of(service)
    try:
        kv = await open_bucket(nc, namespace, replicas)
        outcomes = Counter(await asyncio.gather(*(put_schema(kv, s) for s in schemas)))
    except (nats.errors.Error, TimeoutError) as exc:
        log.warning(
            "schema_registry_unavailable",
            service=service,
            bucket=bucket_name(namespace),
            error=repr(exc),
        )
        return Counter(failed=len(schemas))
    ms = round((time.perf_counter() - started) * 1000, 1)
    log.info("schemas_published", service=service, bucket=bucket_name(namespace), ms=ms, **outcomes)
    if outcomes["kept"]:
        log.warning("schema_registry_holds_other_schemas", service=service, count=outcomes["kept"])
    return outcomes


def permissions(service: str, namespace: str = "") -> dict[str, list[str]]:
    """What a service's NATS user needs to register its schemas in an existing bucket."""
    keys = [s.key for s in schemas_of(service)]
    return {
        "publish": [
            f"$JS.API.STREAM.INFO.{kv_stream(namespace)}",
            *(key_subject(k, namespace) for k in keys),
            *(
                f"$JS.API.DIRECT.GET.{kv_stream(namespace)}.{key_subject(k, namespace)}"
                for k in keys
            ),
        ],
        "subscribe": ["_INBOX_<user>.>  (replies, as for every request)"],
    }


async def _create(url: str, namespace: str, replicas: int) -> None:
    nc = await nats.connect(url)
    try:
        await open_bucket(nc, namespace, replicas)
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.schema_registry", description=__doc__)
    parser.add_argument("--namespace", default="")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--permissions", metavar="SERVICE", help="print what SERVICE needs")
    action.add_argument("--create-bucket", metavar="NATS_URL", help="create the bucket there")
    parser.add_argument("--replicas", type=int, default=1)
    args = parser.parse_args(argv)
    if args.permissions:
        print(json.dumps(permissions(args.permissions, args.namespace), indent=2))
    else:
        asyncio.run(_create(args.create_bucket, args.namespace, args.replicas))
        print(f"bucket {bucket_name(args.namespace)} is there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
