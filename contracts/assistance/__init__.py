"""Contracts of the assistance service (student aid): commands, events, queries."""

from __future__ import annotations

from contracts.assistance import commands, events
from contracts.specs import CommandSpec, EventSpec, Upcaster

EVENTS: tuple[EventSpec, ...] = (
    EventSpec("assistance", "student", "StudentRegistered", 1, events.StudentRegistered),
    EventSpec("assistance", "student", "AidGranted", 1, events.AidGranted),
)

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("assistance", "RegisterStudent", commands.RegisterStudent),
    CommandSpec("assistance", "GrantTermAid", commands.GrantTermAid),
)

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
