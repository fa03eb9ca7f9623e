"""A lean JetStream pull loop for catch-up speed, on a durable consumer.

nats-py's `fetch` costs two tasks per message; here one inbox subscription with a callback
collects each pull's messages, and the next pull is requested before the current batch is
applied, so reading the bus and writing Postgres overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import ConnectionReconnectingError
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

log = structlog.get_logger()


@dataclass(frozen=True)
class Delivery:
    stream_seq: int
    data: bytes
    reply: str
    subject: str = ""


def stream_sequence(ack_subject: str) -> int:
    """The stream sequence in a JetStream ack subject, without nats-py's full metadata parse.

    `$JS.ACK.<stream>.<consumer>.<delivered>.<stream_seq>.<consumer_seq>.<ts>.<pending>`, or
    the newer form with domain and account hash after ACK (and an optional token at the end).
    """
    tokens = ack_subject.split(".")
    return int(tokens[5] if len(tokens) == 9 else tokens[7])


class FilterUnsupported(Exception):
    """The NATS server does not know several filter subjects per consumer (before 2.10)."""


def _filters(config: ConsumerConfig) -> list[str] | None:
    if config.filter_subjects:
        return list(config.filter_subjects)
    return [config.filter_subject] if config.filter_subject else None


class _Gathering:
    """Batches read but not yet applied. A pull that arrives while the applier is busy joins
    the last waiting batch (up to `most` messages): under a steady trickle of single commands
    the applier gets every message that came meanwhile in one transaction, instead of a
    queue of one-message batches (py-spy and statement counts, `make bench`)."""

    def __init__(self, most: int, depth: int = 2) -> None:
        self.most = most
        self.depth = depth
        self._batches: deque[list[Delivery]] = deque()
        self._changed = asyncio.Condition()

    async def put(self, batch: list[Delivery]) -> None:
        async with self._changed:
            if self._batches and len(self._batches[-1]) + len(batch) <= self.most:
                self._batches[-1].extend(batch)
            else:
                await self._changed.wait_for(lambda: len(self._batches) < self.depth)
                self._batches.append(batch)
            self._changed.notify_all()

    async def get(self) -> list[Delivery]:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._batches))
            batch = self._batches.popleft()
            self._changed.notify_all()
            return batch


class DurablePuller:
    def __init__(
        self,
        nc: NATS,
        stream: str,
        durable: str,
        batch_size: int = 1000,
        wait: float = 2.0,
        filter_subjects: list[str] | None = None,
    ) -> None:
        """`filter_subjects`: only these subjects of the stream (a partition's counties)."""
        self.filter_subjects = filter_subjects or None
        self.nc = nc
        self.js = nc.jetstream()
        self.stream = stream
        self.durable = durable
        self.batch_size = batch_size
        self.wait = wait

    async def ensure_consumer(self, checkpoint: int) -> None:
        """Resume at checkpoint + 1: reuse the consumer if it agrees, else recreate it there.

        The checkpoint in Postgres is the truth; recreating avoids waiting for ack_wait before
        the server redelivers what a crashed run fetched but never committed.
        """
        try:
            info = await self.js.consumer_info(self.stream, self.durable)
            same_filter = _filters(info.config) == self.filter_subjects
            if same_filter and info.ack_floor.stream_seq == checkpoint and not info.num_ack_pending:
                return
            await self.js.delete_consumer(self.stream, self.durable)
        except NotFoundError:
            pass
        one = self.filter_subjects is not None and len(self.filter_subjects) == 1
        created = await self.js.add_consumer(
            self.stream,
            ConsumerConfig(
                durable_name=self.durable,
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=checkpoint + 1,
                ack_policy=AckPolicy.ALL,
                ack_wait=60,
                max_ack_pending=self.batch_size * 20,
                max_waiting=16,
                # one filter in the field every server knows; several need nats-server 2.10
                filter_subject=self.filter_subjects[0] if one and self.filter_subjects else None,
                filter_subjects=None if one else self.filter_subjects,
            ),
        )
        if _filters(created.config) != self.filter_subjects:
            await self.js.delete_consumer(self.stream, self.durable)
            raise FilterUnsupported(
                f"the NATS server ignored the consumer filters {self.filter_subjects}:"
                " a partition of several counties needs nats-server 2.10 or later"
            )
        log.info(
            "consumer_positioned", stream=self.stream, durable=self.durable, start=checkpoint + 1
        )

    async def batches(self, stop: asyncio.Event) -> AsyncIterator[list[Delivery]]:
        """Yield batches in stream order; the next pull is already under way while you work,
        and what it brings joins the batch still waiting for you (up to the batch size)."""
        queue = _Gathering(self.batch_size)
        reader = asyncio.create_task(self._read(queue, stop))
        try:
            while not stop.is_set():
                getter = asyncio.create_task(queue.get())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({getter, stopper, reader}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if reader.done() and not getter.done():
                    getter.cancel()
                    reader.result()  # re-raise what stopped the reader
                    return
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
        finally:
            reader.cancel()

    async def ack(self, last: Delivery) -> None:
        """Acknowledge everything up to `last` (the consumer acks all)."""
        await self.nc.publish(last.reply, b"+ACK")

    async def _read(self, queue: _Gathering, stop: asyncio.Event) -> None:
        pending: list[Delivery] = []
        done = asyncio.Event()

        async def on_message(msg: Msg) -> None:
            if not msg.data and msg.headers and "Status" in msg.headers:
                done.set()  # 404/408: the pull is over; 100: heartbeat
                return
            pending.append(Delivery(stream_sequence(msg.reply), msg.data, msg.reply, msg.subject))
            if len(pending) >= want:
                done.set()

        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(
            inbox,
            cb=on_message,
            pending_msgs_limit=self.batch_size * 4,
            pending_bytes_limit=256 * 1024 * 1024,
        )
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.durable}"
        want = self.batch_size
        caught_up = False
        try:
            while not stop.is_set():
                if not self.nc.is_connected:  # publishes would only queue up: say so
                    raise ConnectionReconnectingError()
                # While behind, ask for what is there now; once caught up, wait for one message.
                want = 1 if caught_up else self.batch_size
                request = (
                    {"batch": want, "expires": int(self.wait * 1e9)}
                    if caught_up
                    else {"batch": want, "no_wait": True}
                )
                pending, done = [], asyncio.Event()
                await self.nc.publish(subject, json.dumps(request).encode(), reply=inbox)
                try:
                    await asyncio.wait_for(done.wait(), self.wait + 5)
                except TimeoutError:
                    log.warning("pull_unanswered", stream=self.stream, durable=self.durable)
                await asyncio.sleep(0)  # let the callback deliver anything still in flight
                batch = pending
                caught_up = not batch
                if batch:
                    await queue.put(batch)
        finally:
            with contextlib.suppress(NatsError):
                await sub.unsubscribe()  # the connection may be closed already
