"""Replay one service's events from its JetStream stream, then (with --follow) go on live.

A downstream consumer needs only the `contracts` package and nats-py (and jsonschema, to
check each event against the schema registry on the bus):

    python examples/consumer.py --service assistance --from-start
    python examples/consumer.py --service assistance --since 2017-09-01 --county 610831 --follow

Exit status: 0 done (or Ctrl-C), 1 some messages could not be read or did not match their
registered schema (each one is reported on stderr), 2 usage error, 3 NATS unreachable, 4 the
stream cannot be read.
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
from jsonschema import Draft202012Validator
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError
from pydantic import ValidationError

from contracts.envelope import EventEnvelope
from contracts.registry import EVENTS, UnknownEvent, parse_event
from contracts.schema_registry import RegistryUnavailable, fetch_schema, schema_key
from contracts.subjects import event_subject, stream_name

UNREADABLE, NO_NATS, NO_STREAM = 1, 3, 4
DEFAULT_NATS = "nats://127.0.0.1:4222"
Scalar = str | int | float | bool

READS: dict[str, dict[str, str]] = {
    "StudentRegistered": {"school": "string", "stage": "string", "grade": "integer"},
    "StudentLeftSchool": {"reason": "string", "left_on": "string"},
    "AidGranted": {"programme": "string", "term": "string", "amount": "string"},
    "AidPaid": {"programme": "string", "term": "string", "amount": "string", "paid_on": "string"},
    "AidGrantRevoked": {"programme": "string", "term": "string"},
    "AlertRaised": {"kind": "string", "task_id": "string", "raised_on": "string"},
}
"""The payload fields this consumer reads, with the JSON types it handles, per event type
(at the latest version). The contract tests check the contracts still give it them; other
event types are summed up from whatever plain fields they have."""


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
    payload = parse_event(envelope).model_dump(mode="json", exclude={"personal"})
    if envelope.event_type in READS:
        fields = [(name, payload[name]) for name in READS[envelope.event_type]]
    else:
        shown = (envelope.stream_id, envelope.county)
        fields = [(k, v) for k, v in payload.items() if v not in shown and isinstance(v, Scalar)]
    summary = ", ".join(f"{k}={v}" for k, v in fields)
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


class SchemaCheck:
    """Checks each event's payload against the schema the registry holds for its type and
    version; says once when a schema, or the registry, cannot be found, and goes on."""

    def __init__(self, js: JetStreamContext | None, namespace: str) -> None:
        self.js, self.namespace = js, namespace
        self.validators: dict[str, Draft202012Validator | None] = {}

    async def problems(self, envelope: EventEnvelope) -> list[str]:
        key = schema_key(envelope.event_type, envelope.schema_version)
        if key not in self.validators:
            self.validators[key] = await self._validator(envelope)
        validator = self.validators[key]
        if validator is None:
            return []
        return [
            f"{envelope.event_type} v{envelope.schema_version} does not match its registered "
            f"schema: {'.'.join(map(str, e.absolute_path)) or 'payload'}: {e.message}"
            for e in validator.iter_errors(envelope.payload)
        ]

    async def _validator(self, envelope: EventEnvelope) -> Draft202012Validator | None:
        if self.js is None:
            return None
        try:
            found = await fetch_schema(
                self.js, envelope.event_type, envelope.schema_version, self.namespace
            )
        except RegistryUnavailable as exc:
            print(
                f"cannot read the schema registry ({exc}): events are not checked", file=sys.stderr
            )
            self.js = None
            return None
        if found is None:
            print(
                f"no schema for {envelope.event_type} v{envelope.schema_version} in the registry: "
                "its events are not checked",
                file=sys.stderr,
            )
            return None
        return Draft202012Validator(found.json_schema)


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
    schemas = SchemaCheck(None if args.no_registry else nc.jetstream(timeout=2), args.namespace)
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
                where = f"{stream} #{msg.metadata.sequence.stream}"
                try:
                    envelope = EventEnvelope.model_validate_json(msg.data)
                    mismatches = await schemas.problems(envelope)
                    for problem in mismatches:
                        print(f"{where}: {problem}", file=sys.stderr)
                    unreadable += bool(mismatches)
                    print(describe(envelope), flush=True)
                except (ValidationError, UnknownEvent) as exc:
                    unreadable += 1
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
    parser.add_argument(
        "--no-registry", action="store_true", help="do not check events against the registry"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # until consume() takes over
    try:
        return asyncio.run(consume(args))
    except KeyboardInterrupt:  # before the loop runs its own handlers
        return 0


if __name__ == "__main__":
    sys.exit(main())
