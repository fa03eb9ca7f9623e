"""Every message schema the platform publishes: envelopes, events per version, commands.

One list feeds the generated schema files, the released record and its compatibility check,
and the schema registry on the bus, so they always speak of the same messages by the same
key, `<type>.v<version>`. Commands have a single version: an incompatible change to a command
is a new command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from contracts.compatibility import Mode
from contracts.envelope import CommandEnvelope, EventEnvelope
from contracts.registry import COMMANDS, EVENTS

ROOT = Path(__file__).parent
ID_PREFIX = "urn:eduplan:contracts:"
Kind = Literal["envelope", "event", "command"]

MODES: dict[Kind, Mode] = {"envelope": Mode.FULL, "event": Mode.FULL, "command": Mode.BACKWARD}
"""Events are read by consumers old and new; commands only by their service, upgraded first."""


@dataclass(frozen=True)
class Message:
    kind: Kind
    service: str
    """The service that publishes the event or serves the command; empty for envelopes."""
    name: str
    """The event or command type, e.g. StudentRegistered."""
    version: int
    model: type[BaseModel]

    @property
    def key(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def mode(self) -> Mode:
        return MODES[self.kind] if self.name != "CommandEnvelope" else Mode.BACKWARD

    @property
    def schema_path(self) -> str:
        """Where `make docs` writes the schema, relative to the contracts package."""
        if self.kind == "envelope":
            return f"schemas/{_ENVELOPE_FILES[self.name]}.json"
        if self.kind == "event":
            return f"schemas/{self.service}/events/{self.key}.json"
        return f"schemas/{self.service}/commands/{self.name}.json"

    def schema(self) -> dict[str, Any]:
        """The JSON Schema: events as published (serialization), the rest as accepted."""
        schema = self.model.model_json_schema(
            mode="validation" if self.mode is Mode.BACKWARD else "serialization"
        )
        if self.kind == "envelope":
            schema |= {"$id": ID_PREFIX + _ENVELOPE_FILES[self.name], "title": self.name}
        elif self.kind == "event":
            schema["$id"] = f"{ID_PREFIX}{self.service}:events:{self.name}:v{self.version}"
            schema["title"] = f"{self.name} v{self.version}"
            schema["x-subject"] = (
                f"events.{self.service}.{{county}}.{_stream_type(self)}.{self.name}"
            )
        else:
            schema |= {"$id": f"{ID_PREFIX}{self.service}:commands:{self.name}", "title": self.name}
        return schema

    def example(self) -> dict[str, Any] | None:
        """A valid message body from `contracts/examples` (an event's payload), if one exists."""
        if self.kind == "command":
            return _json(f"examples/{self.service}/commands/{self.name}.json")
        if self.kind == "event":
            envelope = _json(f"examples/{self.service}/events/{self.key}.json")
            return None if envelope is None else envelope["payload"]
        return _json(_ENVELOPE_EXAMPLES[self.name]) if self.name in _ENVELOPE_EXAMPLES else None


_ENVELOPE_FILES = {"EventEnvelope": "envelope", "CommandEnvelope": "command_envelope"}
_ENVELOPE_EXAMPLES = {"EventEnvelope": "examples/assistance/events/StudentRegistered.v2.json"}


def _stream_type(message: Message) -> str:
    return next(e.stream_type for e in EVENTS if e.event_type == message.name)


def _json(relative: str) -> dict[str, Any] | None:
    path = ROOT / relative
    if not path.exists():
        return None
    data: dict[str, Any] = dict(json.loads(path.read_text(encoding="utf-8")))
    return data


@cache
def messages() -> tuple[Message, ...]:
    """Every message schema, envelopes first, then events and commands in registry order."""
    return (
        Message("envelope", "", "EventEnvelope", 1, EventEnvelope),
        Message("envelope", "", "CommandEnvelope", 1, CommandEnvelope),
        *(Message("event", e.service, e.event_type, e.version, e.model) for e in EVENTS),
        *(Message("command", c.service, c.command_type, 1, c.model) for c in COMMANDS),
    )


def messages_of(service: str) -> tuple[Message, ...]:
    """What a service publishes in the schema registry: its own messages and the envelopes."""
    return tuple(m for m in messages() if m.service in ("", service))


def by_key(key: str) -> Message:
    found = {m.key: m for m in messages()}
    try:
        return found[key]
    except KeyError:
        raise LookupError(f"no message schema {key}") from None
