"""The AsyncAPI document of the bus: committed as generated, well formed, and complete."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest

from contracts import asyncapi
from contracts.registry import COMMANDS, EVENTS
from contracts.subjects import command_address, event_subject, query_address, stream_name
from shared.eventstore import RecordedEvent
from shared.relay import headers_of

ROOT = Path(asyncapi.__file__).parents[1]
DOC = asyncapi.document()
ID = re.compile(r"^[\w.\-]+$")
"""What AsyncAPI 3 allows as a key of channels, operations and components."""


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node: Any = DOC
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), ref
        assert key in node, f"{ref}: no {key}"
        node = node[key]
    return node


# Generated and committed


def test_the_committed_document_is_the_generated_one() -> None:
    assert asyncapi.is_current(asyncapi.FILE), (
        "contracts/asyncapi.json is out of date: run `python -m contracts.generate`"
    )


def test_the_document_is_deterministic_sorted_json() -> None:
    text = asyncapi.text()

    assert text == asyncapi.text()
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_the_check_fails_on_an_outdated_file_and_the_generator_repairs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "asyncapi.json"
    target.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(asyncapi, "FILE", target)

    assert asyncapi.main(["--check"]) == 1
    assert "run python -m contracts.generate" in capsys.readouterr().err
    assert asyncapi.main([]) == 0
    assert asyncapi.main(["--check"]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == DOC


def test_the_document_version_follows_the_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert DOC["info"]["version"] == project["project"]["version"]


# Well formed


def test_the_document_has_the_parts_asyncapi_3_requires() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert DOC["info"]["title"]
    assert DOC["defaultContentType"] == "application/json"
    for server in DOC["servers"].values():
        assert server["protocol"] == "nats"
        assert server["host"]
        assert "namespace" in server["description"]
    for table in (DOC["channels"], DOC["operations"], *DOC["components"].values()):
        assert all(ID.match(key) for key in table), [k for k in table if not ID.match(k)]
    for channel_id, channel in DOC["channels"].items():
        assert channel["messages"], channel_id
        assert channel["address"] is None or isinstance(channel["address"], str)
        for name in re.findall(r"\{(\w+)\}", channel["address"] or ""):
            assert name in channel["parameters"], (channel_id, name)
    for message_id, message in DOC["components"]["messages"].items():
        assert message["payload"], message_id
        assert message["contentType"] == "application/json"


def test_every_ref_resolves_inside_the_document() -> None:
    found = list(refs(DOC))

    assert len(found) > 1000
    for ref in found:
        assert resolve(ref) is not None


def test_no_schema_keeps_a_local_defs_section_or_an_openapi_discriminator() -> None:
    text = json.dumps(DOC)

    assert "#/$defs/" not in text
    assert '"discriminator"' not in text


def test_every_channel_is_used_by_an_operation() -> None:
    used = {
        ref.removeprefix("#/channels/")
        for op in DOC["operations"].values()
        for ref in (op["channel"]["$ref"], op.get("reply", {}).get("channel", {}).get("$ref"))
        if ref
    }

    assert used == set(DOC["channels"])


def test_operations_carry_messages_of_their_own_channels() -> None:
    for op_id, op in DOC["operations"].items():
        assert op["action"] in ("send", "receive"), op_id
        channel = op["channel"]["$ref"]
        assert op["messages"], op_id
        assert all(m["$ref"].startswith(channel + "/messages/") for m in op["messages"]), op_id
        if "reply" in op:
            reply = op["reply"]["channel"]["$ref"]
            assert op["reply"]["messages"], op_id
            assert all(m["$ref"].startswith(reply + "/messages/") for m in op["reply"]["messages"])


# Complete


def test_every_registered_event_version_has_a_message_on_its_channel() -> None:
    for e in EVENTS:
        channel = DOC["channels"][f"events.{e.service}.{e.event_type}"]
        assert channel["address"] == event_subject(
            e.service, "{county}", e.stream_type, e.event_type
        )
        assert channel["x-jetstream-stream"] == stream_name(e.service)
        message = resolve(channel["messages"][f"{e.event_type}.v{e.version}"]["$ref"])
        assert message["name"] == e.event_type
        assert message["x-schema-version"] == e.version
        envelope, own = message["payload"]["allOf"]
        assert envelope == {"$ref": "#/components/schemas/EventEnvelope"}
        assert own["properties"]["event_type"] == {"const": e.event_type}
        assert own["properties"]["schema_version"] == {"const": e.version}
        payload = resolve(own["properties"]["payload"]["$ref"])
        assert set(payload["properties"]) == set(e.model.model_fields)
        operation = DOC["operations"][f"events.{e.service}.{e.event_type}.receive"]
        assert operation["action"] == "receive"

    assert len(DOC["components"]["messages"]) >= len(EVENTS) + len(COMMANDS)


def test_every_registered_command_has_a_request_reply_operation() -> None:
    for c in COMMANDS:
        channel_id = f"commands.{c.service}.{c.command_type}"
        assert DOC["channels"][channel_id]["address"] == command_address(c.service, c.command_type)
        operation = DOC["operations"][f"{channel_id}.send"]
        assert operation["action"] == "send"
        assert operation["bindings"]["nats"]["queue"] == c.service
        assert operation["reply"]["messages"] == [
            {"$ref": "#/channels/replies/messages/CommandReply"}
        ]
        request = resolve(DOC["channels"][channel_id]["messages"]["request"]["$ref"])
        envelope, own = request["payload"]["allOf"]
        assert envelope == {"$ref": "#/components/schemas/CommandRequest"}
        item = own["properties"]["commands"]["items"]["properties"]
        assert item["command_type"] == {"const": c.command_type}
        assert set(resolve(item["payload"]["$ref"])["properties"]) == set(c.model.model_fields)


def served_queries() -> set[tuple[str, str, str]]:
    """(service, query, answer) of every add_query_endpoint call in services/*/app.py."""
    served = set()
    for app in sorted((ROOT / "services").glob("*/app.py")):
        tree = ast.parse(app.read_text(encoding="utf-8"))
        returns = {
            f.name: ast.unparse(f.returns)
            for f in ast.walk(tree)
            if isinstance(f, ast.AsyncFunctionDef | ast.FunctionDef) and f.returns
        }
        for call in ast.walk(tree):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == "add_query_endpoint"
            ):
                query, handler = (ast.unparse(a) for a in call.args[2:4])
                served.add((app.parent.name, query, returns[handler]))
    return served


def test_the_documented_queries_are_the_ones_the_services_answer() -> None:
    documented = {
        (channel_id.split(".")[1], channel["title"], reply["$ref"].rsplit(".", 1)[-1])
        for channel_id, channel in DOC["channels"].items()
        if channel_id.startswith("queries.")
        for reply in DOC["operations"][f"{channel_id}.send"]["reply"]["messages"]
        if not reply["$ref"].endswith("QueryRejected")
    }

    assert documented == served_queries()
    assert ("assistance", "ListStudentIds", "StudentIdPage") in documented
    for service, query, _ in documented:
        channel = DOC["channels"][f"queries.{service}.{query}"]
        assert channel["address"] == query_address(service, query)


QUERIES = """
from pydantic import BaseModel
class GetDay(BaseModel):
    day: int
class Hour(BaseModel):
    at: int
class Day(BaseModel):
    hours: list[Hour]
"""


@contextmanager
def queries_module(tmp_path: Path, name: str, source: str) -> Iterator[ModuleType]:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "queries.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        for module in (name, f"{name}.queries"):
            sys.modules.pop(module, None)


def test_a_query_pairs_with_the_next_model_that_is_not_a_field_type(tmp_path: Path) -> None:
    with queries_module(tmp_path, "eduplan_fake_queries", QUERIES) as package:
        ((query, answer),) = asyncapi.query_pairs(package)

        assert (query.__name__, answer.__name__) == ("GetDay", "Day")


def test_a_query_without_an_answer_is_an_error(tmp_path: Path) -> None:
    source = QUERIES + "class ListDays(BaseModel):\n    limit: int\n"
    with (
        queries_module(tmp_path, "eduplan_fake_odd_queries", source) as package,
        pytest.raises(ValueError, match="followed by its answer"),
    ):
        asyncapi.query_pairs(package)


def test_event_headers_are_the_ones_the_relay_sends() -> None:
    event = RecordedEvent(
        position=1,
        event_id=uuid4(),
        stream_id="s",
        stream_type="student",
        version=1,
        event_type="StudentRegistered",
        schema_version=2,
        county="610831",
        data={},
        metadata={"correlation_id": str(uuid4())},
        recorded_at=datetime.now(UTC),
    )
    headers = DOC["components"]["schemas"]["EventHeaders"]
    relay_source = (ROOT / "shared" / "relay.py").read_text(encoding="utf-8")

    assert set(headers["required"]) == set(headers_of(event))
    for optional in set(headers["properties"]) - set(headers["required"]):
        assert f'"{optional}"' in relay_source
    assert all(p["description"] for p in headers["properties"].values())


def test_the_document_counts_add_up() -> None:
    event_types = {(e.service, e.event_type) for e in EVENTS}
    queries = [c for c in DOC["channels"] if c.startswith("queries.")]

    assert len(DOC["channels"]) == len(event_types) + len(COMMANDS) + len(queries) + 1
    assert len(DOC["operations"]) == len(DOC["channels"]) - 1
    assert len(queries) == len(served_queries())
