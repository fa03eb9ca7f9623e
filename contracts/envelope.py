"""The envelopes every service speaks: events on the bus, commands and their replies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.sentence import Reason
from contracts.types import CountyCode, Department


class EventEnvelope(BaseModel):
    """One fact as published on `events.<service>.<county>.<stream_type>.<event_type>`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="Unique id; also the Nats-Msg-Id of the message.")
    event_type: str = Field(description="Past-tense name, e.g. StudentRegistered.")
    schema_version: int = Field(ge=1, description="Version of the payload schema.")
    service: str = Field(description="Service that recorded the event, e.g. assistance.")
    position: int = Field(ge=1, description="Order of the event within its service.")
    stream_id: str = Field(description="Aggregate the event belongs to.")
    stream_type: str = Field(description="Kind of aggregate, e.g. student.")
    version: int = Field(ge=1, description="1..n within the stream, without gaps.")
    county: CountyCode
    occurred_at: datetime = Field(description="When the command that caused it was issued.")
    recorded_at: datetime = Field(description="When the service stored the event.")
    actor: str = Field(description="Person or system account that issued the command.")
    department: Department
    correlation_id: UUID = Field(description="Shared by everything one user action caused.")
    causation_id: UUID | None = Field(description="Message that directly caused this one.")
    command_id: UUID | None = Field(description="Command that produced the event.")
    payload: dict[str, Any] = Field(description="The event's own fields, per its schema.")


class CommandEnvelope(BaseModel):
    """A request to change state, sent on `commands.<service>.<command_name>`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: UUID = Field(description="Idempotency key: a repeat gets the first answer.")
    command_type: str = Field(description="Imperative name, e.g. RegisterStudent.")
    department: Department = Field(
        description="Department the command is issued for; must equal the department of the "
        "subject it is sent on, which the NATS server checks against the sender's identity."
    )
    correlation_id: UUID = Field(description="Shared by everything one user action caused.")
    causation_id: UUID | None = Field(None, description="Message that caused this command.")
    issued_at: datetime = Field(description="When the command was issued (timezone-aware).")
    payload: dict[str, Any] = Field(description="The command's own fields, per its schema.")


class Accepted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["accepted"] = Field("accepted", description="The command was applied.")
    command_id: UUID = Field(description="Command this result answers.")
    stream_id: str = Field(description="Stream the command was applied to.")
    version: int = Field(ge=0, description="Stream version after the command.")
    event_ids: list[UUID] = Field(description="Events recorded; empty when nothing changed.")
    event_types: list[str] = Field(
        default_factory=list, description="Types of the events recorded, in the same order."
    )


class Rejected(BaseModel):
    """A command (or a request, or a query) refused; nothing was written.

    Its history, each change readable by the clients before it except where said:
    - `reason` added (optional): the refusal as a catalogue sentence, `message` its English;
    - `reason` values may be sentences themselves (`contracts.sentence.Reason`, written as a
      `Sentence` when none is): the command bus's own refusals (`invalid_request`,
      `wrong_subject`, `unavailable`, size and depth limits) and `invalid_command`'s field
      problems are said this way, so a client says them in its language; a client that reads
      `reason` as a `Sentence` reads every refusal but those with a sentence inside.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["rejected"] = Field("rejected", description="Nothing was written.")
    command_id: UUID | None = Field(
        description="Command this result answers; none when the message could not be read."
    )
    code: str = Field(description="Machine-readable reason, e.g. invalid_command, conflict.")
    message: str = Field(description="Human-readable reason, in English.")
    reason: Reason | None = Field(
        None,
        description="The same reason as a catalogue sentence, for the reader's language "
        "(`message` is its English); none from services older than it or where none is known. "
        "Its values may be sentences: each problem of an invalid command, a refusal's cause.",
    )


CommandResult = Annotated[Accepted | Rejected, Field(discriminator="status")]


class CommandRequest(BaseModel):
    """One or more commands of the same type in one message; each is decided on its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commands: list[CommandEnvelope] = Field(
        min_length=1, max_length=1000, description="Commands of one type, decided in order."
    )


class CommandReply(BaseModel):
    """Results in the order of the request's commands."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: list[CommandResult] = Field(description="One result per command of the request.")
