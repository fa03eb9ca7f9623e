"""Commands over NATS request-reply: the service side (a queue group) and the client side.

Every reply is typed: accepted or rejected, one per command. Because commands carry an id and
the service answers a repeat with its first answer, a client may resend after a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

import structlog
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel, ValidationError

from contracts.envelope import (
    CommandEnvelope,
    CommandReply,
    CommandRequest,
    CommandResult,
    Rejected,
)
from contracts.subjects import command_subject, query_subject, snake_case
from shared.processor import CommandProcessor

log = structlog.get_logger()
Q = TypeVar("Q", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


def add_command_endpoint(
    broker: NatsBroker,
    service: str,
    processor: CommandProcessor,
    namespace: str = "",
    max_workers: int = 8,
) -> None:
    """Serve `commands.<service>.*` in the queue group `<service>`."""
    prefix = command_subject(service, "", namespace).rstrip(".")

    @broker.subscriber(f"{prefix}.*", queue=service, max_workers=max_workers)
    async def on_command(msg: NatsMessage) -> bytes:
        name = msg.raw_message.subject.rsplit(".", 1)[-1]
        try:
            request = CommandRequest.model_validate_json(msg.body)
        except ValidationError as exc:
            return _reply([Rejected(command_id=None, code="invalid_request", message=str(exc))])
        misplaced = [c for c in request.commands if snake_case(c.command_type) != name]
        if misplaced:
            return _reply(
                [
                    Rejected(
                        command_id=c.command_id,
                        code="wrong_subject",
                        message=f"{c.command_type} was sent on the subject of {name}",
                    )
                    for c in request.commands
                ]
            )
        results = await processor.handle(request.commands)
        log.debug("commands_handled", command=name, count=len(results))
        return _reply(results)


def add_query_endpoint(
    broker: NatsBroker,
    service: str,
    query: type[Q],
    answer: Callable[[Q], Awaitable[BaseModel]],
    namespace: str = "",
) -> None:
    """Serve one read-only query on `queries.<service>.<query_name>`."""

    @broker.subscriber(query_subject(service, query.__name__, namespace), queue=service)
    async def on_query(msg: NatsMessage) -> bytes:
        try:
            result = await answer(query.model_validate_json(msg.body))
        except ValidationError as exc:
            return (
                Rejected(command_id=None, code="invalid_query", message=str(exc))
                .model_dump_json()
                .encode()
            )
        return result.model_dump_json().encode()


def _reply(results: Sequence[CommandResult]) -> bytes:
    return CommandReply(results=list(results)).model_dump_json().encode()


def new_command(
    payload: BaseModel,
    *,
    actor: str,
    department: str,
    correlation_id: UUID | None = None,
    command_id: UUID | None = None,
) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=command_id or uuid4(),
        command_type=type(payload).__name__,
        actor=actor,
        department=department,
        correlation_id=correlation_id or uuid4(),
        issued_at=datetime.now(UTC),
        payload=payload.model_dump(mode="json"),
    )


class ServiceUnavailable(Exception):
    """No service answered: it is not running, or NATS is unreachable."""


class CommandClient:
    def __init__(
        self, nc: NATS, service: str, namespace: str = "", timeout: float = 30.0, retries: int = 2
    ) -> None:
        self.nc = nc
        self.service = service
        self.namespace = namespace
        self.timeout = timeout
        self.retries = retries

    async def send(self, commands: Sequence[CommandEnvelope]) -> list[CommandResult]:
        """Send commands of one type in one request; resend on timeout (ids make it safe)."""
        subject = command_subject(self.service, commands[0].command_type, self.namespace)
        body = CommandRequest(commands=list(commands)).model_dump_json().encode()
        results = CommandReply.model_validate_json(await self._request(subject, body)).results
        if len(results) != len(commands):
            reasons = "; ".join(r.message for r in results if isinstance(r, Rejected))
            raise ServiceUnavailable(f"the request was refused as a whole: {reasons}")
        return results

    async def query(self, query: BaseModel, answer: type[R]) -> R:
        subject = query_subject(self.service, type(query).__name__, self.namespace)
        data = await self._request(subject, query.model_dump_json().encode())
        return answer.model_validate_json(data)

    async def _request(self, subject: str, body: bytes) -> bytes:
        for attempt in range(self.retries + 1):
            try:
                return (await self.nc.request(subject, body, timeout=self.timeout)).data
            except NoRespondersError:
                if attempt == self.retries:
                    raise ServiceUnavailable(
                        f"no {self.service} service answers on {subject}; is it running?"
                    ) from None
                await asyncio.sleep(0.5 * (attempt + 1))
            except NatsTimeout:
                if attempt == self.retries:
                    raise ServiceUnavailable(
                        f"the {self.service} service did not answer within {self.timeout:.0f} s"
                    ) from None
        raise AssertionError("unreachable")
