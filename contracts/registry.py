"""Every published event and accepted command, by name and schema version, with upcasters.

Consumers call `parse_event` to get the typed payload at its latest version whatever version
was published; a published version never changes, a new one comes with an upcaster.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts import alerts, assistance, evaluation, pairing, staffing
from contracts.envelope import EventEnvelope
from contracts.personal import SEALINGS, with_sealed_versions
from contracts.specs import CommandSpec, EventSpec, Upcaster
from contracts.types import Contract

SERVICES = (assistance, staffing, pairing, evaluation, alerts)
"""Each service's contracts package declares EVENTS, COMMANDS and UPCASTERS."""

EVENTS: tuple[EventSpec, ...]
UPCASTERS: dict[tuple[str, int], Upcaster]
EVENTS, UPCASTERS = with_sealed_versions(
    tuple(e for s in SERVICES for e in s.EVENTS),
    {k: v for s in SERVICES for k, v in s.UPCASTERS.items()},
)
"""Every event version (with the sealed version of each event with a personal part), and
(event_type, from_version) -> function turning that payload into version from_version + 1."""
COMMANDS: tuple[CommandSpec, ...] = tuple(c for s in SERVICES for c in s.COMMANDS)


class UnknownEvent(LookupError):
    """No contract is registered under that event type and version."""


_BY_KEY = {(s.event_type, s.version): s for s in EVENTS}
_LATEST = {
    s.event_type: max(t.version for t in EVENTS if t.event_type == s.event_type) for s in EVENTS
}
_BY_MODEL: dict[type[BaseModel], EventSpec] = {s.model: s for s in EVENTS}
_BY_MODEL |= {
    sealing.clear_model: _BY_KEY[(t, sealing.sealed_version)]
    for t, sealing in SEALINGS.items()
    if sealing.clear_version < sealing.sealed_version - 1  # a clear form of a later version
}
COMMAND_MODELS = {c.command_type: c.model for c in COMMANDS}


def event_spec(event_type: str, version: int) -> EventSpec:
    try:
        return _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEvent(f"unknown event {event_type} v{version}") from None


def spec_of(event: BaseModel) -> EventSpec:
    """The published name and version of an event payload instance."""
    try:
        return _BY_MODEL[type(event)]
    except KeyError:
        raise UnknownEvent(f"{type(event).__name__} is not a registered event") from None


def latest_version(event_type: str) -> int:
    try:
        return _LATEST[event_type]
    except KeyError:
        raise UnknownEvent(f"unknown event type {event_type}") from None


def upcast(
    event_type: str,
    version: int,
    payload: dict[str, Any],
    upcasters: dict[tuple[str, int], Upcaster] | None = None,
    target: int | None = None,
) -> tuple[int, dict[str, Any]]:
    """Bring a payload to `target` (default: the latest version), one step at a time."""
    steps = UPCASTERS if upcasters is None else upcasters
    target = latest_version(event_type) if target is None else target
    while version < target:
        payload = steps[(event_type, version)](payload)
        version += 1
    return version, payload


def parse_event(envelope: EventEnvelope) -> Contract:
    """Validate the payload of an envelope against its contract, at the latest version.

    A tolerant reader: fields it does not know are ignored, so an event of a compatibly
    extended schema (a new optional field) reads with the contracts of before.
    """
    version, payload = upcast(envelope.event_type, envelope.schema_version, envelope.payload)
    return event_spec(envelope.event_type, version).model.model_validate(payload, extra="ignore")


def events_of(service: str) -> tuple[EventSpec, ...]:
    return tuple(s for s in EVENTS if s.service == service)


def commands_of(service: str) -> tuple[CommandSpec, ...]:
    return tuple(c for c in COMMANDS if c.service == service)
