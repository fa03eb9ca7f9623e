"""Group commit: command requests that arrive while a batch is being decided and written wait,
then go together, one load, one transaction and one fsync for all of them.

One request at a time costs a transaction each: at a few hundred commands a second the
database commits, not the domain, sets the pace. Requests of the same sender (department,
jurisdiction, actor) are decided together by the processor, which already decides a batch as
one append and falls back to one command at a time on a conflict; each request then gets
its own results, in its own order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.envelope import CommandEnvelope, CommandResult
from contracts.subjects import Sender
from shared.processor import CommandProcessor


@dataclass
class _Waiting:
    envelopes: Sequence[CommandEnvelope]
    sender: Sender
    answer: asyncio.Future[list[CommandResult]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(self, processor: CommandProcessor, most: int = 2000) -> None:
        """`most`: commands decided together at most (a request is never split)."""
        self.processor = processor
        self.most = most
        self._waiting: list[_Waiting] = []
        self._running = False

    async def handle(
        self, envelopes: Sequence[CommandEnvelope], sender: Sender
    ) -> list[CommandResult]:
        waiting = _Waiting(envelopes, sender)
        self._waiting.append(waiting)
        if not self._running:
            self._running = True
            asyncio.create_task(self._drain())  # noqa: RUF006 - it ends when the queue does
        return await waiting.answer

    async def _drain(self) -> None:
        try:
            while self._waiting:
                await self._one_group()
        finally:
            self._running = False

    async def _one_group(self) -> None:
        first = self._waiting[0]
        group: list[_Waiting] = []
        size = 0
        for waiting in self._waiting:
            if waiting.sender != first.sender:
                continue
            if group and size + len(waiting.envelopes) > self.most:
                break
            group.append(waiting)
            size += len(waiting.envelopes)
        taken = {id(w) for w in group}
        self._waiting = [w for w in self._waiting if id(w) not in taken]
        try:
            results = await self.processor.handle(
                [e for w in group for e in w.envelopes], first.sender
            )
        except BaseException as exc:
            for waiting in group:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        start = 0
        for waiting in group:
            end = start + len(waiting.envelopes)
            waiting.answer.set_result(results[start:end])
            start = end
