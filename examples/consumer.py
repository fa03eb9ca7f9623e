"""Replay one service's events from its JetStream stream, then (with --follow) go on live.

A downstream consumer needs only the `contracts` package and nats-py:

    python examples/consumer.py --service assistance --from-start
    python examples/consumer.py --service assistance --since 2017-09-01 --county 610831 --follow

Exit status: 0 done (or Ctrl-C), 1 some messages could not be read (each one is reported on
stderr and skipped), 2 usage error, 3 NATS unreachable, 4 the stream cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
from datetime import UTC, datetime
from textwrap import shorten
from urllib.parse import unquote, urlsplit

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError
from pydantic import ValidationError

from contracts.envelope import EventEnvelope
from contracts.registry import EVENTS, UnknownEvent, parse_event
from contracts.subjects import event_subject, stream_name

UNREADABLE, NO_NATS, NO_STREAM = 1, 3, 4
DEFAULT_NATS = "nats://127.0.0.1:4222"
Scalar = str | int | float | bool


def timestamp(text: str) -> datetime:
    """A date or an ISO 8601 date-time; UTC unless it names its timezone."""
    moment = datetime.fromisoformat(text)
    if moment.year >= 2262:  # beyond JetStream's int64 nanoseconds: it would replay everything
        raise ValueError(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def county_code(text: str) -> str:
    if not re.fullmatch(r"\d{6}", text):
        raise ValueError(text)
    return text


def describe(envelope: EventEnvelope) -> str:
    """One line per event; the payload is read at its latest version, personal data left out."""
    fields = parse_event(envelope).model_dump(mode="json", exclude={"personal"}).items()
    shown = (envelope.stream_id, envelope.county)
    summary = ", ".join(f"{k}={v}" for k, v in fields if v not in shown and isinstance(v, Scalar))
    return (
        f"{envelope.recorded_at.isoformat(timespec='seconds')}  "
        f"{envelope.event_type} v{envelope.schema_version}  {envelope.county}  "
        f"{envelope.stream_id}:{envelope.version}  {shorten(summary, 100, placeholder=' ...')}"
    )


def inbox_of(url: str) -> str:
    """`_INBOX_<user>` for a URL with a user: the only inbox the deployment's NATS lets a user
    read (deploy/nats/nats-server.conf); `_INBOX` without one."""
    user = urlsplit(url.split(",", maxsplit=1)[0].strip()).username
    return f"_INBOX_{unquote(user)}" if user else "_INBOX"


async def report(error: Exception) -> None:
    """nats-py retries lost connections by itself; what the server refuses is worth telling."""
    if not isinstance(error, OSError):
        print(error, file=sys.stderr, flush=True)


async def consume(args: argparse.Namespace) -> int:
    servers, inbox = args.nats.split(","), args.inbox_prefix or inbox_of(args.nats)
    server = re.sub(r"//[^/@]*@", "//", args.nats)  # no password in messages
    try:
        nc = await asyncio.wait_for(
            nats.connect(servers, inbox_prefix=inbox, max_reconnect_attempts=-1, error_cb=report),
            timeout=5,
        )
    except (OSError, nats.errors.Error) as exc:
        print(f"cannot reach NATS at {server}: {str(exc) or 'no answer'}", file=sys.stderr)
        return NO_NATS
    js, stream = nc.jetstream(), stream_name(args.service, args.namespace)
    config = ConsumerConfig(
        name=args.consumer,
        filter_subject=event_subject(args.service, args.county or "*", "*", "*", args.namespace),
        deliver_policy=DeliverPolicy.BY_START_TIME if args.since else DeliverPolicy.ALL,
        opt_start_time=args.since,
        ack_policy=AckPolicy.NONE,  # a read-only replay: nothing to redeliver
        inactive_threshold=30,  # should we die without deleting it, the server will
    )
    try:
        pending, unreadable = (await js.add_consumer(stream, config)).num_pending, 0
        sub = await js.pull_subscribe_bind(args.consumer, stream)
    except (APIError, TimeoutError) as exc:
        why = "no such stream (wrong --namespace?)" if isinstance(exc, NotFoundError) else exc
        print(f"cannot read {stream} at {server}: {why}", file=sys.stderr)
        await nc.close()
        return NO_STREAM
    stop = asyncio.Event()  # Ctrl-C or SIGTERM: checked between fetches, never lost
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        while (pending or args.follow) and not stop.is_set():
            try:
                messages = await sub.fetch(500, timeout=1)
            except TimeoutError:
                continue
            for msg in messages:
                try:
                    print(describe(EventEnvelope.model_validate_json(msg.data)), flush=True)
                except (ValidationError, UnknownEvent) as exc:
                    unreadable += 1
                    where = f"{stream} #{msg.metadata.sequence.stream}"
                    print(f"skipped {where}: {exc}", file=sys.stderr)
                pending = msg.metadata.num_pending
        return UNREADABLE if unreadable else 0
    finally:
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, args.consumer)
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True, choices=sorted({e.service for e in EVENTS}))
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--from-start", action="store_true", help="from the first event (default)")
    start.add_argument("--since", type=timestamp, metavar="DATE", help="what reached the bus then")
    parser.add_argument("--county", type=county_code, help="only this county, e.g. 610831")
    parser.add_argument("--follow", action="store_true", help="go on live until Ctrl-C")
    parser.add_argument("--nats", default=os.environ.get("EDUPLAN_NATS_URL", DEFAULT_NATS))
    parser.add_argument("--namespace", default=os.environ.get("EDUPLAN_NAMESPACE", ""))
    parser.add_argument("--consumer", default=f"example_{secrets.token_hex(4)}", help="its name")
    parser.add_argument("--inbox-prefix", help="where replies come; default _INBOX_<user>")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # until consume() takes over
    try:
        return asyncio.run(consume(args))
    except KeyboardInterrupt:  # before the loop runs its own handlers
        return 0


if __name__ == "__main__":
    sys.exit(main())
