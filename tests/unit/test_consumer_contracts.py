"""Consumer-driven contracts: the example consumer declares the fields it reads, and a change to
the contracts that would take one away (or give it a type it does not handle) fails here."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from contracts.consumers import latest_schema, unmet
from contracts.envelope import EventEnvelope
from contracts.registry import EVENTS, latest_version

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "contracts" / "examples"


def load_consumer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_consumer", ROOT / "examples/consumer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


CONSUMER = load_consumer()
READS: dict[str, dict[str, str]] = CONSUMER.READS


def test_the_contracts_give_the_example_consumer_every_field_it_reads() -> None:
    assert READS, "the consumer declares what it reads"
    assert unmet(READS) == []


@pytest.mark.parametrize("event_type", sorted(READS))
def test_the_consumer_prints_exactly_the_fields_it_declares(event_type: str) -> None:
    spec = next(e for e in EVENTS if e.event_type == event_type)
    version = latest_version(event_type)
    path = EXAMPLES / spec.service / "events" / f"{event_type}.v{version}.json"
    envelope = EventEnvelope.model_validate_json(path.read_bytes())

    summary = CONSUMER.describe(envelope).split("  ")[-1]

    assert [part.split("=")[0] for part in summary.split(", ")] == list(READS[event_type])


def changed(event_type: str, edit: Any) -> Any:
    """A `schema_of` that answers with the latest schema, `edit` applied to one event type's."""

    def schema_of(name: str) -> dict[str, Any]:
        schema = copy.deepcopy(latest_schema(name))
        if name == event_type:
            edit(schema)
        return schema

    return schema_of


BREAKING = {
    "a field removed": (
        "AidGranted",
        lambda s: s["properties"].pop("amount"),
        "AidGranted.amount: the consumer reads it, the schema no longer has it",
    ),
    "a field that may be null": (
        "StudentRegistered",
        lambda s: s["properties"].update(grade={"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        "StudentRegistered.grade: may now be null; it handles integer",
    ),
    "a field no longer required": (
        "AidPaid",
        lambda s: s["required"].remove("paid_on"),
        "AidPaid.paid_on: may now be null; it handles string",
    ),
    "a field of another type": (
        "AlertRaised",
        lambda s: s["properties"].update(task_id={"type": "integer"}),
        "AlertRaised.task_id: may now be integer; it handles string",
    ),
}


@pytest.mark.parametrize("case", BREAKING, ids=str)
def test_a_change_that_would_break_the_consumer_fails_its_contract(case: str) -> None:
    event_type, edit, expected = BREAKING[case]

    assert unmet(READS, changed(event_type, edit)) == [expected]


def test_a_change_the_consumer_does_not_read_leaves_it_whole() -> None:
    schema_of = changed("AidGranted", lambda s: s["properties"].pop("annual_amount"))

    assert unmet(READS, schema_of) == []
    assert unmet({"StudentExpelled": {"reason": "string"}}) == [
        "StudentExpelled: no such event any more"
    ]
