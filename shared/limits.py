"""Limits at the door: what a service refuses before it reads a request, with a typed reason.

A request is bounded in bytes and in nesting depth before it is parsed (a deep enough JSON
document exhausts the parser's recursion); an event is bounded in bytes before it is
written, below NATS's max payload, so that the outbox relay can always publish what the
store accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.decider import Rejection
from shared.settings import Settings, get_settings

_ESCAPED = re.compile(rb"\\.")
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


@dataclass(frozen=True)
class Limits:
    request_bytes: int = 512 * 1024
    event_bytes: int = 256 * 1024
    nesting: int = 32

    @classmethod
    def of(cls, settings: Settings | None = None) -> Limits:
        s = settings or get_settings()
        return cls(s.max_request_bytes, s.max_event_bytes, s.max_nesting)

    def refusal(self, body: bytes) -> Rejection | None:
        """Why a request body is refused unread; None if it may be read."""
        if len(body) > self.request_bytes:
            return Rejection(
                "request_too_large",
                "{size} bytes; a request has at most {most}",
                size=format(len(body), ","),
                most=format(self.request_bytes, ","),
            )
        if depth(body) > self.nesting:
            return Rejection(
                "too_deeply_nested", "a request nests at most {most} levels", most=self.nesting
            )
        return None


def depth(body: bytes) -> int:
    """Deepest nesting of arrays and objects in a JSON text (brackets in strings ignored)."""
    brackets = _STRING.sub(b"", _ESCAPED.sub(b"", body)).translate(None, _NOT_BRACKET)
    level = deepest = 0
    for char in brackets:
        level += 1 if char in b"[{" else -1
        deepest = max(deepest, level)
    return deepest
