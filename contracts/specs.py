"""How a service declares its messages: event and command specs, upcasters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.types import Contract

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a payload of version n into version n + 1 of the same event type."""


@dataclass(frozen=True)
class EventSpec:
    service: str
    stream_type: str
    event_type: str
    version: int
    model: type[Contract]
    sealed: bool = False
    """Published with its personal part sealed from the start (a version after sealing);
    `model` is then the clear form services decide with (see contracts/personal.py)."""


@dataclass(frozen=True)
class CommandSpec:
    service: str
    command_type: str
    model: type[Contract]
