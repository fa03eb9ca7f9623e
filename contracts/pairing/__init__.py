"""Contracts of the pairing service: commands and events, declared for the registry."""

from __future__ import annotations

from contracts.specs import CommandSpec, EventSpec, Upcaster

EVENTS: tuple[EventSpec, ...] = ()
COMMANDS: tuple[CommandSpec, ...] = ()
UPCASTERS: dict[tuple[str, int], Upcaster] = {}
