"""Commands over NATS request-reply: the service side (a queue group) and the client side.

Every reply is typed: accepted or rejected, one per command. Because commands carry an id and
the service answers a repeat with its first answer, a client may resend after a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from uuid import UUID, uuid4

import structlog
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel, ValidationError

from contracts.assistance.types import PROVINCE
from contracts.envelope import (
    Accepted,
    CommandEnvelope,
    CommandReply,
    CommandRequest,
    CommandResult,
    Rejected,
)
from contracts.subjects import (
    Sender,
    actor_token,
    asker_of,
    command_subject,
    query_subject,
    sender_of,
    service_commands,
    service_query,
    snake_case,
    within,
)
from shared import i18n
from shared.db import UNAVAILABLE
from shared.decider import Rejection
from shared.group_commit import GroupCommit
from shared.i18n import named
from shared.i18n.problems import problems
from shared.jetstream import PermissionRefused, request_or_refused
from shared.limits import Limits
from shared.metrics import observe_command_request
from shared.processor import CommandProcessor

if TYPE_CHECKING:
    from shared.service import ServiceRuntime

log = structlog.get_logger()
Q = TypeVar("Q", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


class CommandEndpoint:
    """Serves `commands.<service>.<department>.<jurisdiction>.<actor>.*` in the queue group
    `<service>`; the sender is read from the subject. Requests handled at the same time are
    committed together (shared/group_commit.py).

    A plain nats-py subscription on the broker's connection, not a FastStream subscriber:
    FastStream's consume pipeline (context, middlewares, logging, ack, reply publisher) took
    about a quarter of the service's CPU per single command (py-spy, `make bench`). The body is
    parsed here, after its size and depth are checked, as before."""

    def __init__(
        self, service: str, processor: CommandProcessor, namespace: str = "", max_workers: int = 64
    ) -> None:
        self.service = service
        self.namespace = namespace
        self.subject = service_commands(service, namespace)
        self.limits = processor.limits
        self.grouped = GroupCommit(processor)
        self.max_workers = max_workers
        self._slots: asyncio.Semaphore | None = None
        self._serving: set[asyncio.Task[None]] = set()
        self._subscription: Subscription | None = None
        self._nc: NATS | None = None

    async def start(self, nc: NATS) -> None:
        self._nc = nc
        self._slots = asyncio.Semaphore(self.max_workers)
        self._subscription = await nc.subscribe(self.subject, queue=self.service, cb=self._on_msg)

    async def stop(self, grace: float = 1.0) -> None:
        """No new requests; those being decided get `grace` seconds to be answered."""
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None
        if self._serving:
            await asyncio.wait(set(self._serving), timeout=grace)

    async def _on_msg(self, msg: Msg) -> None:
        assert self._slots is not None  # set by `start`
        await self._slots.acquire()  # at most `max_workers` at once; the rest wait in NATS
        task = asyncio.create_task(self._serve(msg))
        self._serving.add(task)
        task.add_done_callback(self._served)

    def _served(self, task: asyncio.Task[None]) -> None:
        self._serving.discard(task)
        assert self._slots is not None
        self._slots.release()

    async def _serve(self, msg: Msg) -> None:
        try:
            reply = await self.answer(msg.subject, msg.data)
        except Exception:  # no answer: the client resends after its timeout (ids make it safe)
            log.exception("command_request_failed", service=self.service, subject=msg.subject)
            return
        if msg.reply and self._nc is not None:
            with contextlib.suppress(Exception):  # the connection is closing: nothing to tell
                await self._nc.publish(msg.reply, reply)

    async def answer(self, subject: str, body: bytes) -> bytes:
        """The reply to one request as it came: a subject (who sends it) and a body."""
        refusal = self.limits.refusal(body)
        if refusal is not None:
            return _reply([refusal.rejected()])
        try:
            sender, name = sender_of(subject, self.namespace)
        except ValueError:
            return _reply([_no_sender(subject, COMMAND_SUBJECT).rejected()])
        try:
            request = CommandRequest.model_validate_json(body)
        except ValidationError as exc:
            return _reply([_unreadable("invalid_request", exc).rejected()])
        misplaced = [c for c in request.commands if snake_case(c.command_type) != name]
        if misplaced:
            return _reply(
                [
                    Rejection(
                        "wrong_subject",
                        "{command_type} was sent on the subject of {name}",
                        command_type=c.command_type,
                        name=name,
                    ).rejected(c.command_id)
                    for c in request.commands
                ]
            )
        started = time.perf_counter()
        try:
            results = await self.grouped.handle(request.commands, sender)
        except UNAVAILABLE as exc:
            log.warning("database_unavailable", service=self.service, error=repr(exc))
            return _reply([_unavailable(self.service, exc)])
        accepted = sum(1 for r in results if isinstance(r, Accepted))
        observe_command_request(
            self.service,
            name,
            time.perf_counter() - started,
            accepted=accepted,
            rejected=len(results) - accepted,
        )
        log.debug("commands_handled", command=name, count=len(results))
        return _reply(results)


def add_command_endpoint(
    runtime: ServiceRuntime, processor: CommandProcessor, max_workers: int = 64
) -> CommandEndpoint:
    """Serve the runtime's commands with `processor` once its broker is connected."""
    endpoint = CommandEndpoint(runtime.name, processor, runtime.namespace, max_workers)
    runtime.endpoints.append(endpoint)
    return endpoint


def add_query_endpoint(
    broker: NatsBroker,
    service: str,
    query: type[Q],
    answer: Callable[[Q], Awaitable[BaseModel]],
    namespace: str = "",
) -> None:
    """Serve one read-only query on `queries.<service>.<jurisdiction>.<actor>.<name>`.

    A query that names a county, or whose answer belongs to one (its `county`), is answered
    only for a sender whose jurisdiction holds it."""

    limits = Limits.of()

    @broker.subscriber(
        service_query(service, query.__name__, namespace), queue=service, decoder=_undecoded
    )
    async def on_query(msg: Received) -> bytes:
        read = _read_query(query, msg, limits, namespace)
        if isinstance(read, Rejection):
            return _refusal(read)
        jurisdiction, actor, asked = read
        try:
            answered = await answer(asked)
        except UNAVAILABLE as exc:
            log.warning("database_unavailable", service=service, error=repr(exc))
            return _unavailable(service, exc).model_dump_json().encode()
        county = getattr(answered, "county", None)
        if isinstance(county, str) and not within(county, jurisdiction):
            return _refusal(
                Rejection(
                    "outside_jurisdiction",
                    "{actor} acts for {jurisdiction}; the answer concerns {county}",
                    actor=actor,
                    jurisdiction=named("county", jurisdiction),
                    county=named("county", county),
                )
            )
        return answered.model_dump_json().encode()


def _read_query(
    query: type[Q], msg: Received, limits: Limits, namespace: str
) -> tuple[str, str, Q] | Rejection:
    """The asker's jurisdiction and name and the query, or why it is refused unanswered."""
    refusal = limits.refusal(msg.body)
    if refusal is not None:
        return refusal
    try:
        jurisdiction, actor = asker_of(msg.subject, namespace)
    except ValueError:
        return _no_sender(msg.subject, QUERY_SUBJECT, "invalid_query")
    try:
        asked = query.model_validate_json(msg.body)
    except ValidationError as exc:
        return _unreadable("invalid_query", exc)
    county = getattr(asked, "county", None)
    if isinstance(county, str) and not within(county, jurisdiction):
        return Rejection(
            "outside_jurisdiction",
            "{actor} acts for {jurisdiction}, not {county}",
            actor=actor,
            jurisdiction=named("county", jurisdiction),
            county=named("county", county),
        )
    return jurisdiction, actor, asked


COMMAND_SUBJECT = "commands.<service>.<department>.<jurisdiction>.<actor>.<command>"
QUERY_SUBJECT = "queries.<service>.<jurisdiction>.<actor>.<query>"


def _unavailable(service: str, exc: BaseException) -> Rejected:
    return Rejection(
        "unavailable",
        "the {service} service cannot reach its database ({reason}); nothing was done",
        service=named("service", service),
        reason=str(exc) or type(exc).__name__,
    ).rejected()


def _no_sender(subject: str, shape: str, code: str = "invalid_request") -> Rejection:
    return Rejection(
        code,
        "the subject {subject} does not name its sender ({shape})",
        subject=subject,
        shape=shape,
    )


def _unreadable(code: str, exc: ValidationError) -> Rejection:
    """A request or query that is not what the contracts say, each problem said on its own."""
    if code == "invalid_query":
        return Rejection(
            code, "the query cannot be read: {problems}", problems=problems(exc, "query")
        )
    return Rejection(
        code, "the request cannot be read: {problems}", problems=problems(exc, "request")
    )


class Received(NamedTuple):
    """A request as it came: its subject (who sends it) and its body, unparsed."""

    subject: str
    body: bytes


async def _undecoded(msg: NatsMessage) -> Received:
    """The request as it came: the endpoint checks its size and depth before parsing it (a
    deeply nested body would exhaust FastStream's JSON decoder, and no reply would go out).
    The broker applies no types (`apply_types=False`): FastStream's dependency injection would
    resolve a `NatsMessage` parameter in a worker thread, one thread hop per request."""
    return Received(msg.raw_message.subject, msg.body)


def _refusal(refusal: Rejection) -> bytes:
    return refusal.rejected().model_dump_json().encode()


def _reply(results: Sequence[CommandResult]) -> bytes:
    return CommandReply(results=list(results)).model_dump_json().encode()


def new_command(
    payload: BaseModel,
    *,
    department: str,
    correlation_id: UUID | None = None,
    command_id: UUID | None = None,
) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=command_id or uuid4(),
        command_type=type(payload).__name__,
        department=department,
        correlation_id=correlation_id or uuid4(),
        issued_at=datetime.now(UTC),
        payload=payload.model_dump(mode="json"),
    )


class ServiceUnavailable(Exception):
    """No service answered: it is not running, or NATS is unreachable."""


class Refused(Exception):
    """The NATS server refused the request: this identity may not send on that subject
    (another department, jurisdiction or user name than its own)."""


class CommandClient:
    """Sends commands and queries as one identity: an actor acting for a jurisdiction.

    The department is each command's own; the NATS server checks all three against the
    identity's permissions before a service sees the request.
    """

    def __init__(
        self,
        nc: NATS,
        service: str,
        namespace: str = "",
        timeout: float = 30.0,
        retries: int = 2,
        *,
        actor: str | None = None,
        jurisdiction: str = PROVINCE,
    ) -> None:
        self.nc = nc
        self.service = service
        self.namespace = namespace
        self.timeout = timeout
        self.retries = retries
        self.actor = actor or actor_token(getpass.getuser())
        self.jurisdiction = jurisdiction
        self.recorded = 0
        """Events the commands of this client recorded, so far."""

    def sender(self, department: str) -> Sender:
        return Sender(department, self.jurisdiction, self.actor)

    async def send(self, commands: Sequence[CommandEnvelope]) -> list[CommandResult]:
        """Send commands of one type and department in one request; resend on timeout (ids
        make it safe)."""
        first = commands[0]
        if any(c.department != first.department for c in commands):
            raise ValueError("the commands of one request are issued for one department")
        sender = self.sender(first.department)
        subject = command_subject(self.service, first.command_type, sender, self.namespace)
        # issued now: a batch built long before (or resent after an outage) is not stale;
        # the command id and what it says stay the same, so a resend is still the same command
        now = datetime.now(UTC)
        stamped = [c.model_copy(update={"issued_at": now}) for c in commands]
        body = CommandRequest(commands=stamped).model_dump_json().encode()
        results = CommandReply.model_validate_json(await self._request(subject, body)).results
        for result in results:
            if isinstance(result, Rejected) and result.code == "unavailable":
                raise ServiceUnavailable(i18n.refusal(result))
            if isinstance(result, Accepted):
                self.recorded += len(result.event_ids)
        if len(results) != len(commands):
            refusals = [i18n.refusal(r) for r in results if isinstance(r, Rejected)]
            said = i18n.CLAUSE_SEPARATORS[i18n.language()].join(refusals)
            raise ServiceUnavailable(i18n.text("error.request_refused", reasons=said))
        return results

    async def query(self, query: BaseModel, answer: type[R]) -> R:
        """Ask a query; a refusal (e.g. a county outside the jurisdiction) raises `Refused`."""
        subject = query_subject(
            self.service, type(query).__name__, self.sender("query"), self.namespace
        )
        data = await self._request(subject, query.model_dump_json().encode())
        try:
            return answer.model_validate_json(data)
        except ValidationError:
            refusal = Rejected.model_validate_json(data)
            if refusal.code == "unavailable":
                raise ServiceUnavailable(i18n.refusal(refusal)) from None
            raise Refused(f"{i18n.refusal(refusal)} ({refusal.code})") from None

    def _service(self) -> str:
        return i18n.label("service", self.service)

    async def _request(self, subject: str, body: bytes) -> bytes:
        for attempt in range(self.retries + 1):
            try:
                return await request_or_refused(self.nc, subject, body, self.timeout)
            except PermissionRefused as exc:
                raise Refused(i18n.text("error.subject_refused", subject=subject)) from exc
            except NoRespondersError:
                if attempt == self.retries:
                    raise ServiceUnavailable(
                        i18n.text("error.no_responders", service=self._service(), subject=subject)
                    ) from None
                await asyncio.sleep(0.5 * (attempt + 1))
            except NatsTimeout:
                if attempt == self.retries:
                    raise ServiceUnavailable(
                        i18n.text(
                            "error.no_answer",
                            service=self._service(),
                            seconds=format(self.timeout, ".0f"),
                        )
                    ) from None
        raise AssertionError("unreachable")
