"""The shape of a pure aggregate, as the platform sees it: evolve state, decide events.

Nothing here does I/O; a service's domain module provides the functions and stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel

from contracts.envelope import Rejected
from contracts.sentence import Reason
from shared.i18n import plain, reason

S = TypeVar("S")


class Rejection(Exception):
    """A command refused for a reason the issuer can act on; nothing is written.

    `template` is the reason in English with `{name}` placeholders that `values` fill (ids
    as `named(...)`, lists as `listing(...)`, dates, figures): it is also the catalogue key
    (context `rejection`) of its translations, so the refusal is said in the reader's
    language where it is shown (`i18n.refusal`), never here. `message` is the English text,
    ids as they are."""

    def __init__(self, code: str, template: str, /, **values: object) -> None:
        message = (
            template.format_map({k: plain(v) for k, v in values.items()}) if values else template
        )
        super().__init__(message)
        self.code = code
        self.message = message
        self.template = template
        self.values = values

    @property
    def reason(self) -> Reason:
        """The refusal as the reply carries it: its catalogue key and values."""
        return reason(f"rejection.{self.template}", self.values)

    def rejected(self, command_id: UUID | None = None) -> Rejected:
        """The reply that says this refusal: code, English message and the sentence."""
        return Rejected(
            command_id=command_id, code=self.code, message=self.message, reason=self.reason
        )


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
