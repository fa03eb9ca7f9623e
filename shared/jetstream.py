"""NATS connections and the JetStream stream each service owns."""

from __future__ import annotations

import asyncio

import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from contracts.subjects import service_events, stream_name

log = structlog.get_logger()


async def connect_nats(url: str, name: str, *, wait: float = 0) -> NATS:
    """Connect, reconnecting forever once connected; retry the first connect for `wait` s."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            client = FastHeaderClient()
            await client.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=2,
            )
            return client
        except (OSError, nats.errors.NoServersError, TimeoutError):
            if asyncio.get_running_loop().time() >= deadline:
                raise
            await asyncio.sleep(0.5)


def stream_config(service: str, namespace: str, duplicate_window: float) -> StreamConfig:
    return StreamConfig(
        name=stream_name(service, namespace),
        description=f"Events of the {service} service: facts, kept for replay and audit.",
        subjects=[service_events(service, namespace)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=0,
        duplicate_window=duplicate_window,
    )


async def ensure_stream(
    js: JetStreamContext, service: str, namespace: str = "", duplicate_window: float = 7200
) -> StreamInfo:
    """Create the service's stream, or bring an existing one to the configured settings."""
    config = stream_config(service, namespace, duplicate_window)
    try:
        await js.stream_info(config.name or "")
    except NotFoundError:
        log.info("stream_created", stream=config.name)
        return await js.add_stream(config)
    return await js.update_stream(config)


class FastHeaderClient(NATS):
    """nats-py's client with a header parser that checks names in C, not char by char.

    nats-py 2.16 spends a quarter of a projection's catch-up time in `_parse_header_lines`
    testing each character of each header name for whitespace; the result is the same.
    """

    @staticmethod
    def _parse_header_lines(raw: bytes) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in raw.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            key = name.strip()
            if not key or len(key.split()) != 1 or not key.isascii():
                continue
            out[key.decode("ascii")] = value.strip().decode("utf-8", "replace")
        return out
