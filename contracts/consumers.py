"""Consumer-driven contracts: a consumer declares the payload fields it reads, and a test fails
when the contracts no longer give it them.

A declaration maps an event type to `{field path: JSON types the consumer handles}`, e.g.
`{"AidGranted": {"amount": "string", "personal.name": "string"}}`; "string|null" for a
consumer that copes with null. Fields are checked in the latest version of the event, which is
what `contracts.registry.parse_event` hands a consumer whatever version was published. The
same check runs on any schema, so a producer can try a change before making it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.catalogue import by_key
from contracts.compatibility import resolve, types_of
from contracts.registry import latest_version

Schema = dict[str, Any]
Reads = dict[str, dict[str, str]]


def latest_schema(event_type: str) -> Schema:
    return by_key(f"{event_type}.v{latest_version(event_type)}").schema()


def unmet(reads: Reads, schema_of: Callable[[str], Schema] = latest_schema) -> list[str]:
    """Each field a consumer reads that the schema no longer promises, with why."""
    found = []
    for event_type, fields in reads.items():
        try:
            schema = schema_of(event_type)
        except LookupError:
            found.append(f"{event_type}: no such event any more")
            continue
        for path, handled in fields.items():
            why = _unmet(schema, path, set(handled.split("|")))
            if why:
                found.append(f"{event_type}.{path}: {why}")
    return found


def _unmet(root: Schema, path: str, handled: set[str]) -> str | None:
    node, required = root, True
    for name in path.split("."):
        node = resolve(node, root)
        if name not in node.get("properties", {}):
            return "the consumer reads it, the schema no longer has it"
        required = required and name in node.get("required", [])
        node = node["properties"][name]
    given = _types(resolve(node, root), root)
    if not required:
        given.add("null")
    extra = {t for t in given - handled if not (t == "integer" and "number" in handled)}
    if extra:
        return f"may now be {' or '.join(sorted(extra))}; it handles {'|'.join(sorted(handled))}"
    return None


def _types(node: Schema, root: Schema) -> set[str]:
    branches = node.get("anyOf") or node.get("oneOf")
    if not branches:
        return types_of(node)
    return set().union(*(_types(resolve(b, root), root) for b in branches))
