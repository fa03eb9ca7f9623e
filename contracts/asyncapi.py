"""The AsyncAPI 3.0 document of the whole bus, generated from the contracts registry.

The document takes the side of a client of the platform: it receives events, and sends
commands and queries whose replies come back on its own inbox (NATS request-reply).

Queries are not in the registry. By convention `contracts/<service>/queries.py` defines each
query model directly followed by the model it is answered with; models used only as field
types of other models there are neither. `python -m contracts.asyncapi` writes
`contracts/asyncapi.json`, `--check` only compares; `python -m contracts.generate` does both
along with the JSON Schemas.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from contracts.changelog import history
from contracts.envelope import CommandReply, CommandRequest, EventEnvelope, Rejected
from contracts.registry import COMMANDS, EVENTS, SERVICES, latest_version
from contracts.released import Released, read_record
from contracts.specs import CommandSpec, EventSpec
from contracts.subjects import command_address, event_subject, query_address, stream_name

ROOT = Path(__file__).parent
FILE = ROOT / "asyncapi.json"
VERSION = "0.1.0"
"""Version of the document; follows the project's version."""

SCHEMAS = "#/components/schemas/"
SENDER_TOKENS = ("department", "jurisdiction", "actor")
MESSAGES = "#/components/messages/"
REPLIES = "replies"
NATS_BINDING_VERSION = "0.1.0"

EVENT_HEADERS: dict[str, tuple[str, bool]] = {
    "Nats-Msg-Id": (
        "The event_id. JetStream drops a re-publish within the stream's duplicate window.",
        True,
    ),
    "Eduplan-Event-Type": ("The event_type, to route or skip without reading the body.", True),
    "Eduplan-Schema-Version": ("The schema_version of the payload, in decimal.", True),
    "Eduplan-Stream-Id": ("The stream_id: the aggregate the event belongs to.", True),
    "Eduplan-Version": ("The version of the event within its stream, in decimal.", True),
    "Eduplan-Correlation-Id": ("The correlation_id shared by one user action's messages.", True),
    "Nats-Expected-Last-Msg-Id": (
        "The event_id of the message before it: the relay's precondition, so a lost message "
        "is never overtaken. Absent on the first message of a stream.",
        False,
    ),
    "Nats-Expected-Last-Sequence": (
        "'0' on the first message of a stream, in place of Nats-Expected-Last-Msg-Id.",
        False,
    ),
}
"""Headers on every event message: name -> (description, present on every message)."""

DESCRIPTION = """\
Every message on the NATS bus of the education poverty-alleviation plan, generated from the
`contracts` package (`python -m contracts.generate`). Seen from a client: it receives
events, sends commands and queries, and gets their replies on its own inbox.

- **Events**: each service owns one JetStream stream (`x-jetstream-stream`, file storage, no
  age limit: replay from the first message). Subjects are
  `events.<service>.<county>.<stream_type>.<EventType>`; subscribe to
  `events.<service>.<county>.>` for one county. The body is the `EventEnvelope` with the
  event's own fields in `payload`. A published schema version never changes: read any
  version with `contracts.registry.parse_event`, which upcasts to the latest one. Order is
  guaranteed within a stream_id (versions 1..n without gaps), by position within a service.
- **Commands**: request-reply on `commands.<service>.<command_name>`, served by a queue group
  named after the service. The request holds commands of one type; the reply answers each,
  in order, `accepted` or `rejected` (a code and a message). A command repeated with the same
  `command_id` gets its first answer, so resending after a timeout is safe.
- **Queries**: read-only request-reply on `queries.<service>.<query_name>`; a malformed query
  is answered `rejected` with the code `invalid_query`.
- **Namespace**: a deployment with a namespace `NS` (`EDUPLAN_NAMESPACE`) prefixes every
  subject with `NS.` and every stream name with `NS_`.
"""


def document() -> dict[str, Any]:
    """The whole document, as JSON-ready data."""
    queries = {service_name(p): query_pairs(p) for p in SERVICES}
    refs, schemas = _schemas(queries)
    bus = _Bus(refs, read_record())
    for specs in _by_event_type():
        bus.add_event_type(specs)
    for command in COMMANDS:
        bus.add_command(command)
    for service, pairs in queries.items():
        for query, answer in pairs:
            bus.add_query(service, query, answer)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "eduplan bus",
            "version": VERSION,
            "description": DESCRIPTION,
            "tags": [{"name": service_name(p), "description": _doc(p)} for p in SERVICES],
            "externalDocs": {
                "description": "Changelog of contract versions: type, version, date, what "
                "changed. Each message also lists its released revisions in x-released.",
                "url": "CHANGELOG.md",
            },
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "title": "NATS with JetStream",
                "description": "The local server of `make up`; elsewhere EDUPLAN_NATS_URL. "
                "Subjects and stream names carry the deployment's namespace prefix, if any.",
            }
        },
        "channels": bus.channels,
        "operations": bus.operations,
        "components": {
            "schemas": schemas,
            "messages": bus.messages,
            "parameters": {
                "county": {
                    "description": "Six-digit administrative code of the county, e.g. 610831.",
                    "examples": ["610831"],
                },
                "department": {
                    "description": "Department the command is issued for, e.g. aid_center; "
                    "the server lets an identity use only its own departments.",
                    "examples": ["aid_center"],
                },
                "jurisdiction": {
                    "description": "Administrative code the sender acts for: a county, a city "
                    "(its counties) or the province (every county); the server lets an "
                    "identity use only its own.",
                    "examples": ["610831", "610000"],
                },
                "actor": {
                    "description": "The sender's NATS user: the server lets an identity use "
                    "only its own name. Recorded as the events' actor.",
                    "examples": ["zhang_wei"],
                },
            },
        },
    }


def service_name(package: ModuleType) -> str:
    return package.__name__.rsplit(".", 1)[-1]


def query_pairs(package: ModuleType) -> list[tuple[type[BaseModel], type[BaseModel]]]:
    """(query, answer) pairs of a service's `queries` module, by the convention above."""
    name = f"{package.__name__}.queries"
    if importlib.util.find_spec(name) is None:
        return []
    module = importlib.import_module(name)
    models = [
        m
        for m in vars(module).values()
        if inspect.isclass(m) and issubclass(m, BaseModel) and m.__module__ == name
    ]
    nested = {n for m in models for f in m.model_fields.values() for n in _models(f.annotation)}
    top = [m for m in models if m not in nested]
    if len(top) % 2:
        raise ValueError(f"{name}: every query must be followed by its answer model")
    return list(zip(top[::2], top[1::2], strict=True))


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


Refs = dict[tuple[type[Any], JsonSchemaMode], str]


def _schemas(
    queries: dict[str, list[tuple[type[BaseModel], type[BaseModel]]]],
) -> tuple[Refs, dict[str, Any]]:
    """Every model's JSON Schema under components/schemas, and where each one is."""
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (EventEnvelope, "serialization"),
        (CommandRequest, "validation"),
        (CommandReply, "serialization"),
        (Rejected, "serialization"),
        *((e.model, "serialization") for e in EVENTS),
        *((c.model, "validation") for c in COMMANDS),
        *((q, "validation") for pairs in queries.values() for q, _ in pairs),
        *((a, "serialization") for pairs in queries.values() for _, a in pairs),
    ]
    keys, found = models_json_schema(wanted, ref_template=SCHEMAS + "{model}")
    schemas = _without_discriminators(found["$defs"])
    schemas["EventHeaders"] = {
        "type": "object",
        "description": "Headers of every event message.",
        "properties": {
            name: {"type": "string", "description": text}
            for name, (text, _) in EVENT_HEADERS.items()
        },
        "required": [name for name, (_, always) in EVENT_HEADERS.items() if always],
    }
    return {key: ref["$ref"] for key, ref in keys.items()}, schemas


def _without_discriminators(schema: Any) -> Any:
    """OpenAPI-style discriminator objects are not AsyncAPI Schema; oneOf + const suffices."""
    if isinstance(schema, dict):
        return {k: _without_discriminators(v) for k, v in schema.items() if k != "discriminator"}
    if isinstance(schema, list):
        return [_without_discriminators(v) for v in schema]
    return schema


class _Bus:
    """Channels, operations and messages of one document, each under a unique id."""

    def __init__(self, refs: Refs, record: dict[str, Released]) -> None:
        self.refs = refs
        self.record = record
        self.channels: dict[str, Any] = {
            REPLIES: {
                "address": None,
                "title": "Replies",
                "description": "The requester's own inbox: NATS request-reply sets it as the "
                "reply subject of each request (`_INBOX.…` unless the client chose a prefix).",
                "messages": {},
            }
        }
        self.operations: dict[str, Any] = {}
        self.messages: dict[str, Any] = {
            "CommandReply": _reply_message(CommandReply, refs[(CommandReply, "serialization")]),
            "QueryRejected": _reply_message(
                Rejected, refs[(Rejected, "serialization")], "The query was malformed."
            ),
        }

    def add_event_type(self, specs: list[EventSpec]) -> None:
        """One channel and one receive operation per event type; a message per version."""
        latest = specs[-1]
        service, event_type = latest.service, latest.event_type
        channel_id = f"events.{service}.{event_type}"
        messages = {}
        for spec in specs:
            key = f"{event_type}.v{spec.version}"
            message = _event_message(spec, self.refs) | self._released(key)
            _put(self.messages, f"{service}.{key}", message)
            messages[key] = {"$ref": f"{MESSAGES}{service}.{key}"}
        _put(
            self.channels,
            channel_id,
            {
                "address": event_subject(service, "{county}", latest.stream_type, event_type),
                "title": event_type,
                "description": _doc(latest.model),
                "messages": messages,
                "parameters": {"county": {"$ref": "#/components/parameters/county"}},
                "x-jetstream-stream": stream_name(service),
            },
        )
        _put(
            self.operations,
            f"{channel_id}.receive",
            {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{k}"} for k in messages],
                "summary": f"Read {event_type} events of the {service} service.",
                "tags": [{"name": service}],
            },
        )

    def _released(self, key: str) -> dict[str, Any]:
        """The message's released revisions, from the record (none before its first)."""
        released = self.record.get(key)
        return {"x-released": history(released)} if released else {}

    def add_command(self, command: CommandSpec) -> None:
        request = _message(
            command.model,
            f"{command.command_type} request",
            _command_request(self.refs[(command.model, "validation")], command),
            command.service,
        )
        request["correlationId"] = {"location": "$message.payload#/commands/0/correlation_id"}
        request |= self._released(f"{command.command_type}.v1")
        self._request_reply(
            f"commands.{command.service}.{command.command_type}",
            command_address(command.service, command.command_type),
            command.service,
            request,
            ["CommandReply"],
        )

    def add_query(self, service: str, query: type[BaseModel], answer: type[BaseModel]) -> None:
        answer_id = f"{service}.{answer.__name__}"
        _put(self.messages, answer_id, _reply_message(answer, self.refs[(answer, "serialization")]))
        self._request_reply(
            f"queries.{service}.{query.__name__}",
            query_address(service, query.__name__),
            service,
            _message(
                query,
                f"{query.__name__} request",
                {"$ref": self.refs[(query, "validation")]},
                service,
            ),
            [answer_id, "QueryRejected"],
        )

    def _request_reply(
        self,
        channel_id: str,
        address: str,
        service: str,
        request: dict[str, Any],
        replies: list[str],
    ) -> None:
        message_id = f"{service}.{request['name']}"
        _put(self.messages, message_id, request)
        _put(
            self.channels,
            channel_id,
            {
                "address": address,
                "parameters": {
                    name: {"$ref": f"#/components/parameters/{name}"}
                    for name in SENDER_TOKENS
                    if f"{{{name}}}" in address
                },
                "title": request["name"],
                "description": request.get("summary", ""),
                "messages": {"request": {"$ref": MESSAGES + message_id}},
            },
        )
        for reply in replies:
            self.channels[REPLIES]["messages"][reply] = {"$ref": MESSAGES + reply}
        _put(
            self.operations,
            f"{channel_id}.send",
            {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/request"}],
                "reply": {
                    "channel": {"$ref": f"#/channels/{REPLIES}"},
                    "messages": [{"$ref": f"#/channels/{REPLIES}/messages/{r}"} for r in replies],
                },
                "bindings": {"nats": {"queue": service, "bindingVersion": NATS_BINDING_VERSION}},
                "summary": request.get("summary", ""),
                "tags": [{"name": service}],
            },
        )


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    if key in table:
        raise ValueError(f"two AsyncAPI objects would have the id {key}")
    table[key] = value


def _by_event_type() -> list[list[EventSpec]]:
    groups: dict[tuple[str, str], list[EventSpec]] = {}
    for spec in EVENTS:
        groups.setdefault((spec.service, spec.event_type), []).append(spec)
    return [sorted(g, key=lambda s: s.version) for g in groups.values()]


def _event_message(spec: EventSpec, refs: Refs) -> dict[str, Any]:
    message = _message(
        spec.model,
        f"{spec.event_type} v{spec.version}",
        _all_of(
            refs[(EventEnvelope, "serialization")],
            {
                "event_type": {"const": spec.event_type},
                "schema_version": {"const": spec.version},
                "service": {"const": spec.service},
                "stream_type": {"const": spec.stream_type},
                "payload": {"$ref": refs[(spec.model, "serialization")]},
            },
        ),
        spec.service,
        spec.event_type,
    )
    message |= {
        "headers": _all_of(
            SCHEMAS + "EventHeaders",
            {
                "Eduplan-Event-Type": {"const": spec.event_type},
                "Eduplan-Schema-Version": {"const": str(spec.version)},
            },
        ),
        "correlationId": {"location": "$message.header#/Eduplan-Correlation-Id"},
        "x-schema-version": spec.version,
        "x-latest-schema-version": latest_version(spec.event_type),
    }
    example = _event_example(spec)
    if example:
        message["examples"] = [example]
    return message


def _event_example(spec: EventSpec) -> dict[str, Any] | None:
    """The example envelope of `contracts/examples/`, with the headers it is published with."""
    name = f"{spec.event_type}.v{spec.version}"
    path = ROOT / "examples" / spec.service / "events" / f"{name}.json"
    if not path.exists():
        return None
    envelope = EventEnvelope.model_validate_json(path.read_text(encoding="utf-8"))
    headers = {
        "Nats-Msg-Id": envelope.event_id,
        "Eduplan-Event-Type": envelope.event_type,
        "Eduplan-Schema-Version": envelope.schema_version,
        "Eduplan-Stream-Id": envelope.stream_id,
        "Eduplan-Version": envelope.version,
        "Eduplan-Correlation-Id": envelope.correlation_id,
    }
    return {
        "name": name,
        "headers": {k: str(v) for k, v in headers.items()},
        "payload": envelope.model_dump(mode="json"),
    }


def _command_request(payload_ref: str, command: CommandSpec) -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {
            "command_type": {"const": command.command_type},
            "payload": {"$ref": payload_ref},
        },
    }
    return _all_of(SCHEMAS + "CommandRequest", {"commands": {"items": item}})


def _all_of(ref: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"allOf": [{"$ref": ref}, {"type": "object", "properties": properties}]}


def _message(
    model: type[BaseModel],
    title: str,
    payload: dict[str, Any],
    service: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name or model.__name__,
        "title": title,
        "contentType": "application/json",
        "payload": payload,
    }
    if model.__doc__:
        message["summary"] = _doc(model)
    if service:
        message["tags"] = [{"name": service}]
    return message


def _reply_message(model: type[BaseModel], ref: str, summary: str = "") -> dict[str, Any]:
    message = _message(model, f"{model.__name__} reply", {"$ref": ref})
    if summary:
        message["summary"] = summary
    return message


def _doc(obj: object) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def text() -> str:
    return json.dumps(document(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def is_current(path: Path) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.asyncapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if outdated")
    if not parser.parse_args(argv).check:
        FILE.write_text(text(), encoding="utf-8")
        return 0
    if is_current(FILE):
        return 0
    print(
        "contracts/asyncapi.json is out of date: run python -m contracts.generate", file=sys.stderr
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
