"""The outbox relay: publishes committed events to JetStream, in outbox order, exactly once.

Each outbox row is published with `Nats-Msg-Id = event_id` and deleted only after JetStream
acknowledged it; a re-publish after a crash falls into the stream's duplicate window. Each
message also names its predecessor (`Nats-Expected-Last-Msg-Id`), so when one message of a
pipelined batch is lost, JetStream refuses the ones behind it instead of storing them out of
order. The first message of a batch is awaited alone, and names the stream's last message by
its id, or by its sequence when that message has no id (a foreign message on our subjects): a
refusal is seen at once and the relay asks the stream again. One relay per service is active
(Postgres advisory lock); others wait as hot standbys. LISTEN/NOTIFY wakes it right after a
commit; while NATS is down, rows wait in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib

import asyncpg
import structlog
from nats.js import JetStreamContext

from contracts.subjects import event_subject, stream_name
from shared.db import connect
from shared.eventstore import EVENT_COLUMNS, RecordedEvent, to_recorded
from shared.metrics import OUTBOX_DEPTH, RELAY_LAG, RELAY_PUBLISHED

log = structlog.get_logger()


def headers_of(event: RecordedEvent) -> dict[str, str]:
    return {
        "Nats-Msg-Id": str(event.event_id),
        "Eduplan-Event-Type": event.event_type,
        "Eduplan-Schema-Version": str(event.schema_version),
        "Eduplan-Stream-Id": event.stream_id,
        "Eduplan-Version": str(event.version),
        "Eduplan-Correlation-Id": str(event.metadata.get("correlation_id", "")),
    }


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        schema: str,
        service: str,
        js: JetStreamContext,
        namespace: str = "",
        batch_size: int = 500,
        ack_timeout: float = 5.0,
        idle_poll: float = 1.0,
    ) -> None:
        self.dsn = dsn
        self.schema = schema
        self.service = service
        self.js = js
        self.namespace = namespace
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.idle_poll = idle_poll
        self.published = 0
        self.stream = stream_name(service, namespace)
        self._wake = asyncio.Event()
        self._expected: dict[str, str] | None = None  # what the stream ends with; None: unknown

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; survives lost database and NATS connections."""
        while not stop.is_set():
            try:
                await self._run_while_leader(stop)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("relay_database_unavailable", error=str(exc), service=self.service)
                await _sleep_or_stop(stop, 1.0)

    async def _run_while_leader(self, stop: asyncio.Event) -> None:
        conn = await connect(self.dsn, f"eduplan-{self.service}-relay")
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key()):
                await _sleep_or_stop(stop, self.idle_poll)
                return
            log.info("relay_active", service=self.service)
            self._expected = None
            await conn.add_listener(f"eduplan_outbox_{self.schema}", lambda *_: self._wake.set())
            backoff = 0.1
            while not stop.is_set() and not conn.is_closed():
                self._wake.clear()
                try:
                    sent = await self.publish_pending(conn)
                    backoff = 0.1
                except PublishFailed as exc:
                    log.warning("relay_nats_unavailable", error=str(exc), retry_in=backoff)
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self.batch_size:
                    waiter = asyncio.create_task(self._wake.wait())
                    stopper = asyncio.create_task(stop.wait())
                    await asyncio.wait(
                        {waiter, stopper},
                        timeout=self.idle_poll,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waiter.cancel()
                    stopper.cancel()
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    async def publish_pending(self, conn: asyncpg.Connection) -> int:
        """Publish one batch; delete the acknowledged prefix. Returns how many were published."""
        # The head of the outbox first, then its events by key: joined whole, the planner may
        # merge-join from the store's first position on every batch (275-400 ms per 500 rows
        # behind 300k-500k events, growing with the store).
        rows = await conn.fetch(
            f"SELECT {', '.join('e.' + c.strip() for c in EVENT_COLUMNS.split(','))}"
            f' FROM (SELECT position FROM "{self.schema}".outbox ORDER BY position LIMIT $1) o'
            f' JOIN "{self.schema}".events e USING (position) ORDER BY e.position',
            self.batch_size,
        )
        if not rows:
            return 0
        events = [to_recorded(r) for r in rows]
        if self._expected is None:
            self._expected = await self._stream_end()
        acked = await self._publish(events, self._expected)
        if acked:
            await conn.execute(
                f'DELETE FROM "{self.schema}".outbox WHERE position = ANY($1::bigint[])',
                [e.position for e in events[:acked]],
            )
            self.published += acked
            RELAY_PUBLISHED.labels(self.service).inc(acked)
        if acked < len(events):
            self._expected = None  # what JetStream holds is uncertain: ask again
            raise PublishFailed(f"{len(events) - acked} of {len(events)} events not acknowledged")
        return acked

    async def _publish(self, events: list[RecordedEvent], expected: dict[str, str]) -> int:
        """Publish the first event awaited, pipeline the rest; return the length of the prefix
        JetStream acknowledged."""
        first, rest = events[0], events[1:]
        try:
            await self.js.publish(
                self._subject(first),
                event_payload(self.service, first),
                timeout=self.ack_timeout,
                headers=headers_of(first) | expected,
            )
        except Exception as exc:
            log.warning("relay_publish_refused", error=repr(exc), expected=expected)
            return 0
        futures = []
        previous = str(first.event_id)
        try:
            for event in rest:
                headers = headers_of(event) | {"Nats-Expected-Last-Msg-Id": previous}
                previous = str(event.event_id)
                # no `wait_stall`: with a timeout nats-py wraps each call in a task, so every
                # message became a socket write of its own (4.3k events/s; 3x that without).
                # A batch stays below the client's pending limit, and every future is awaited
                # with a timeout and cancelled, which frees its place.
                futures.append(
                    await self.js.publish_async(
                        self._subject(event), event_payload(self.service, event), headers=headers
                    )
                )
        except Exception as exc:
            log.warning("relay_publish_error", error=repr(exc))
        acked = 1
        if futures:  # one timer for the batch, not one per message
            await asyncio.wait(futures, timeout=self.ack_timeout)
        for future in futures:
            if not future.done() or future.cancelled() or future.exception() is not None:
                break
            acked += 1
        for future in futures[acked - 1 :]:
            future.cancel()
        self._expected = {"Nats-Expected-Last-Msg-Id": str(events[acked - 1].event_id)}
        return acked

    def _subject(self, event: RecordedEvent) -> str:
        return event_subject(
            self.service, event.county, event.stream_type, event.event_type, self.namespace
        )

    async def _stream_end(self) -> dict[str, str]:
        """The expectation naming the stream's last message: its id, else its sequence."""
        try:
            info = await self.js.stream_info(self.stream)
            if not info.state.last_seq:
                return {"Nats-Expected-Last-Sequence": "0"}
            last = await self.js.get_msg(self.stream, info.state.last_seq)
        except Exception as exc:
            raise PublishFailed(f"cannot read the last message of {self.stream}: {exc!r}") from exc
        msg_id = (last.headers or {}).get("Nats-Msg-Id")
        if msg_id:
            return {"Nats-Expected-Last-Msg-Id": str(msg_id)}
        return {"Nats-Expected-Last-Sequence": str(info.state.last_seq)}

    def _lock_key(self) -> int:
        return zlib.crc32(f"eduplan.relay.{self.schema}".encode())


async def outbox_state(pool: asyncpg.Pool, schema: str) -> tuple[int, float]:
    """(events waiting in the outbox, seconds the oldest of them has waited)."""
    row = await pool.fetchrow(
        f'SELECT (SELECT count(*) FROM "{schema}".outbox) AS pending,'
        f" coalesce(extract(epoch FROM now() - e.recorded_at), 0) AS age"
        f' FROM (SELECT min(position) AS position FROM "{schema}".outbox) o'
        f' LEFT JOIN "{schema}".events e USING (position)'
    )
    return int(row["pending"]), float(row["age"])


async def record_outbox(pool: asyncpg.Pool, schema: str, service: str) -> int:
    """Refresh the outbox metrics of a service; returns its depth."""
    pending, age = await outbox_state(pool, schema)
    OUTBOX_DEPTH.labels(service).set(pending)
    RELAY_LAG.labels(service).set(age)
    return pending


class PublishFailed(Exception):
    pass


def event_payload(service: str, event: RecordedEvent) -> bytes:
    return event.envelope(service).model_dump_json().encode()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
