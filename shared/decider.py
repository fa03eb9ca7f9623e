"""The shape of a pure aggregate, as the platform sees it: evolve state, decide events.

Nothing here does I/O; a service's domain module provides the functions and stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

S = TypeVar("S")


class Rejection(Exception):
    """A command refused for a reason the issuer can act on; nothing is written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    """How one kind of stream folds its events into state."""

    stream_type: str
    initial: S
    evolve: Callable[[S, BaseModel], S]
    county: Callable[[S], str]

    def fold(self, events: Iterable[BaseModel], state: S | None = None) -> S:
        current = self.initial if state is None else state
        for event in events:
            current = self.evolve(current, event)
        return current


@dataclass(frozen=True)
class CommandHandler(Generic[S]):
    """Which stream a command addresses and how the aggregate decides on it."""

    aggregate: Aggregate[S]
    stream_id: Callable[[Any], str]
    decide: Callable[[S, Any], Sequence[BaseModel]]
