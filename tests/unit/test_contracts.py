"""The contracts other services rely on: schemas match code, examples validate, all described."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import types
import typing
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import contracts
from contracts import generate
from contracts.envelope import CommandEnvelope, EventEnvelope
from contracts.registry import (
    COMMANDS,
    EVENTS,
    UnknownEvent,
    Upcaster,
    event_spec,
    latest_version,
    parse_event,
    upcast,
)

EXAMPLES = Path(contracts.__file__).parent / "examples"


def example(relative: str) -> str:
    return (EXAMPLES / relative).read_text(encoding="utf-8")


def event_example(service: str, event_type: str, version: int) -> str:
    return example(f"{service}/events/{event_type}.v{version}.json")


def command_example(service: str, command_type: str) -> str:
    return example(f"{service}/commands/{command_type}.json")


# Generated schemas


def test_committed_schemas_are_the_generated_ones() -> None:
    problems = generate.differences()

    assert problems == [], "schemas are out of date: run `python -m contracts.generate`"


def test_every_event_version_and_command_has_a_schema_file() -> None:
    files = generate.generate()

    for e in EVENTS:
        assert f"schemas/{e.service}/events/{e.event_type}.v{e.version}.json" in files
    for c in COMMANDS:
        assert f"schemas/{c.service}/commands/{c.command_type}.json" in files
    assert {"schemas/envelope.json", "schemas/command_envelope.json"} <= files.keys()


def test_schema_files_are_deterministic_json_with_a_stable_id_and_title() -> None:
    files = generate.generate()

    assert files == generate.generate()
    ids = set()
    for path, text in files.items():
        assert text.endswith("}\n"), path
        schema = json.loads(text)
        assert text == json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        assert schema["$id"].startswith("urn:eduplan:contracts:"), path
        assert schema["title"], path
        ids.add(schema["$id"])
    assert len(ids) == len(files)
    aid = json.loads(files["schemas/assistance/events/AidGranted.v1.json"])
    assert aid["title"] == "AidGranted v1"
    assert aid["x-subject"] == "events.assistance.{county}.student.AidGranted"
    assert aid["properties"]["amount"]["type"] == "string"


def test_the_check_lists_missing_differing_and_extra_files(tmp_path: Path) -> None:
    generate.write(tmp_path)
    assert generate.differences(tmp_path) == []

    (tmp_path / "schemas/envelope.json").unlink()
    (tmp_path / "schemas/command_envelope.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "schemas/assistance/events/Retired.v1.json").write_text("{}\n", encoding="utf-8")

    assert generate.differences(tmp_path) == [
        "missing: schemas/envelope.json",
        "differs: schemas/command_envelope.json",
        "extra: schemas/assistance/events/Retired.v1.json",
    ]
    generate.write(tmp_path)
    assert generate.differences(tmp_path) == []


def test_the_check_runs_as_a_module_and_passes_on_the_committed_files() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contracts.generate", "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(contracts.__file__).parent.parent,
    )

    assert done.returncode == 0, done.stderr


# Examples


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: f"{s.event_type}.v{s.version}")
def test_every_event_has_an_example_envelope_that_parses_to_its_model(spec: Any) -> None:
    envelope = EventEnvelope.model_validate_json(
        event_example(spec.service, spec.event_type, spec.version)
    )

    assert (envelope.service, envelope.stream_type) == (spec.service, spec.stream_type)
    assert (envelope.event_type, envelope.schema_version) == (spec.event_type, spec.version)
    event = spec.model.model_validate(envelope.payload)
    assert event.model_dump(mode="json") == envelope.payload, "the example is in canonical form"
    if spec.version == latest_version(spec.event_type):
        parsed = parse_event(envelope)
        assert type(parsed) is spec.model
        assert parsed == event


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda c: c.command_type)
def test_every_command_has_an_example_that_validates(spec: Any) -> None:
    text = command_example(spec.service, spec.command_type)

    command = spec.model.model_validate_json(text)

    assert command.model_dump(mode="json") == json.loads(text), "the example is in canonical form"


def test_every_example_file_belongs_to_a_registered_contract() -> None:
    expected = {f"{e.service}/events/{e.event_type}.v{e.version}.json" for e in EVENTS} | {
        f"{c.service}/commands/{c.command_type}.json" for c in COMMANDS
    }

    found = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.json")}

    assert found == expected


def test_the_examples_tell_one_story_about_one_student() -> None:
    registered = EventEnvelope.model_validate_json(
        event_example("assistance", "StudentRegistered", 1)
    )
    granted = EventEnvelope.model_validate_json(event_example("assistance", "AidGranted", 1))
    grant = json.loads(command_example("assistance", "GrantTermAid"))

    assert registered.stream_id == granted.stream_id == registered.payload["student_id"]
    assert granted.payload["student_id"] == grant["student_id"] == registered.stream_id
    assert (registered.version, granted.version) == (1, 2)
    assert registered.position < granted.position


def test_a_command_envelope_carries_a_command_payload() -> None:
    envelope = CommandEnvelope.model_validate(
        {
            "command_id": "a341b0fb-b9e0-4b6f-9d14-39d658d5c9cb",
            "command_type": "GrantTermAid",
            "department": "aid_center",
            "correlation_id": "eaec7df3-16d5-4bef-977b-2eb0dbdff924",
            "issued_at": "2017-09-18T10:05:00+08:00",
            "payload": json.loads(command_example("assistance", "GrantTermAid")),
        }
    )

    assert envelope.causation_id is None
    spec = next(c for c in COMMANDS if c.command_type == envelope.command_type)
    assert spec.model.model_validate(envelope.payload)


# Registry


def test_event_type_names_are_unique_across_services() -> None:
    services: dict[str, set[str]] = defaultdict(set)
    for e in EVENTS:
        services[e.event_type].add(e.service)

    assert {t: s for t, s in services.items() if len(s) > 1} == {}
    assert len({(e.event_type, e.version) for e in EVENTS}) == len(EVENTS)
    assert len({c.command_type for c in COMMANDS}) == len(COMMANDS)


def test_event_versions_have_no_gaps() -> None:
    versions: dict[str, set[int]] = defaultdict(set)
    for e in EVENTS:
        versions[e.event_type].add(e.version)

    for event_type, found in versions.items():
        assert found == set(range(1, max(found) + 1)), event_type


def test_an_unknown_event_is_refused_by_name() -> None:
    with pytest.raises(UnknownEvent, match="StudentExpelled"):
        event_spec("StudentExpelled", 1)
    with pytest.raises(UnknownEvent, match="AidGranted v9"):
        event_spec("AidGranted", 9)


# Upcasting


AID_GRANTED_V1 = json.loads(event_example("assistance", "AidGranted", 1))["payload"]


def test_a_payload_at_the_latest_version_is_not_touched() -> None:
    def must_not_run(payload: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("no step is needed at the latest version")

    version, payload = upcast("AidGranted", 1, AID_GRANTED_V1, {("AidGranted", 1): must_not_run})

    assert (version, payload) == (1, AID_GRANTED_V1)


def test_an_older_payload_is_brought_forward_one_step_at_a_time() -> None:
    """The registry has no v2 yet and `upcast` takes the target from it, so the older shapes
    are pretend versions -1 (amount called yuan) and 0 (no yearly amount) of AidGranted."""
    steps_run: list[int] = []

    def rename_yuan_to_amount(payload: dict[str, Any]) -> dict[str, Any]:
        steps_run.append(-1)
        renamed = {k: v for k, v in payload.items() if k != "yuan"}
        return {**renamed, "amount": payload["yuan"]}

    def add_annual_amount(payload: dict[str, Any]) -> dict[str, Any]:
        steps_run.append(0)
        return {**payload, "annual_amount": str(Decimal(payload["amount"]) * 2)}

    oldest = {k: v for k, v in AID_GRANTED_V1.items() if k not in ("amount", "annual_amount")}
    oldest["yuan"] = "500.00"
    upcasters: dict[tuple[str, int], Upcaster] = {
        ("AidGranted", -1): rename_yuan_to_amount,
        ("AidGranted", 0): add_annual_amount,
    }

    version, payload = upcast("AidGranted", -1, dict(oldest), upcasters)

    assert steps_run == [-1, 0]
    assert version == 1
    assert payload == AID_GRANTED_V1
    assert event_spec("AidGranted", version).model.model_validate(payload)


def test_a_missing_upcaster_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(KeyError):
        upcast("AidGranted", 0, AID_GRANTED_V1, {})


# Descriptions


def _contract_models() -> set[type[BaseModel]]:
    """Every pydantic model defined in the contracts package, and every model they nest."""
    found: set[type[BaseModel]] = set()
    for info in pkgutil.walk_packages(contracts.__path__, "contracts."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                found.add(obj)
    pending = list(found)
    while pending:
        for field in pending.pop().model_fields.values():
            for nested in _models_in(field.annotation):
                if nested not in found:
                    found.add(nested)
                    pending.append(nested)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def test_the_walk_finds_the_nested_personal_data() -> None:
    names = {m.__name__ for m in _contract_models()}

    assert {"StudentPersonal", "StudentRegistered", "EventEnvelope", "Accepted"} <= names


def test_every_field_of_every_contract_model_is_described() -> None:
    undescribed = sorted(
        f"{model.__module__}.{model.__name__}.{name}"
        for model in _contract_models()
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    )

    assert undescribed == []
