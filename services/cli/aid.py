"""Student-aid work driven from the command line: roster import and term aid grants.

Commands go in batches over the command bus with a few requests in flight, so a county's
roster is registered in seconds; every result is reported, and a rerun doubles nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from contracts.assistance.commands import GrantTermAid
from contracts.assistance.queries import ListStudentIds, StudentIdPage
from contracts.envelope import Accepted, CommandEnvelope, CommandResult
from services.assistance.roster import RosterLine
from shared.commandbus import CommandClient, new_command

Progress = Callable[[int], None]


@dataclass
class Outcome:
    """What a batch run did: counts by kind, and each rejection with where it came from."""

    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (where, code, message)

    def as_dict(self) -> dict[str, object]:
        return {
            **dict(self.counts),
            "rejected": [{"where": w, "code": c, "message": m} for w, c, m in self.rejected],
        }


@dataclass(frozen=True)
class Issuer:
    actor: str
    department: str
    correlation_id: UUID = field(default_factory=uuid4)


async def send_in_batches(
    client: CommandClient,
    commands: Sequence[CommandEnvelope],
    batch_size: int,
    in_flight: int,
    progress: Progress,
) -> list[CommandResult]:
    """Send commands in batches, at most `in_flight` requests at a time; results in order."""
    results: list[CommandResult | None] = [None] * len(commands)
    gate = asyncio.Semaphore(in_flight)

    async def send(start: int) -> None:
        async with gate:
            batch = commands[start : start + batch_size]
            for i, result in enumerate(await client.send(batch)):
                results[start + i] = result
            progress(len(batch))

    await asyncio.gather(*(send(s) for s in range(0, len(commands), batch_size)))
    return [r for r in results if r is not None]


async def import_roster(
    client: CommandClient,
    lines: Sequence[RosterLine],
    issuer: Issuer,
    progress: Progress,
    batch_size: int = 250,
    in_flight: int = 4,
) -> Outcome:
    outcome = Outcome()
    for bad in (ln for ln in lines if ln.command is None):
        outcome.rejected.append((f"line {bad.line}", "invalid_line", bad.error))
        progress(1)
    good = [ln for ln in lines if ln.command is not None]
    commands = [
        new_command(
            ln.command,
            actor=issuer.actor,
            department=issuer.department,
            correlation_id=issuer.correlation_id,
        )
        for ln in good
        if ln.command is not None
    ]
    results = await send_in_batches(client, commands, batch_size, in_flight, progress)
    for ln, result in zip(good, results, strict=True):
        if isinstance(result, Accepted):
            outcome.counts["registered" if result.event_ids else "unchanged"] += 1
        else:
            outcome.rejected.append((f"line {ln.line}", result.code, result.message))
    outcome.counts["rejected"] = len(outcome.rejected)
    return outcome


async def registered_students(client: CommandClient, county: str) -> list[str]:
    ids: list[str] = []
    while True:
        page = await client.query(
            ListStudentIds(county=county, after=ids[-1] if ids else "", limit=5000), StudentIdPage
        )
        ids += page.student_ids
        if len(page.student_ids) < 5000:
            return ids


async def grant_aid(
    client: CommandClient,
    student_ids: Sequence[str],
    term: str,
    issuer: Issuer,
    progress: Progress,
    batch_size: int = 250,
    in_flight: int = 4,
) -> Outcome:
    commands = [
        new_command(
            GrantTermAid(student_id=UUID(s), term=term),
            actor=issuer.actor,
            department=issuer.department,
            correlation_id=issuer.correlation_id,
        )
        for s in student_ids
    ]
    outcome = Outcome()
    results = await send_in_batches(client, commands, batch_size, in_flight, progress)
    for student_id, result in zip(student_ids, results, strict=True):
        if isinstance(result, Accepted):
            outcome.counts["students_granted" if result.event_ids else "students_unchanged"] += 1
            outcome.counts["grants"] += len(result.event_ids)
        else:
            outcome.rejected.append((f"student {student_id}", result.code, result.message))
    outcome.counts["rejected"] = len(outcome.rejected)
    return outcome
