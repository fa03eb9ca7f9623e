"""Student-aid work driven from the command line: roster import and term aid grants.

Commands go in batches over the command bus with a few requests in flight, so a county's
roster is registered in seconds; every result is reported, and a rerun doubles nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from contracts.assistance.commands import GrantTermAid
from contracts.assistance.queries import ListStudentIds, StudentIdPage
from services.assistance.roster import RosterLine
from services.cli.common import Issuer, Outcome, Progressed, send_in_batches
from shared.commandbus import CommandClient


async def import_roster(
    client: CommandClient,
    lines: Sequence[RosterLine],
    issuer: Issuer,
    progress: Progressed,
    batch_size: int = 250,
) -> Outcome:
    outcome = Outcome()
    for bad in (ln for ln in lines if ln.command is None):
        outcome.rejected.append((f"line {bad.line}", "invalid_line", bad.error))
        progress(1)
    good = [ln for ln in lines if ln.command is not None]
    commands = [issuer.command(ln.command) for ln in good if ln.command is not None]
    results = await send_in_batches(client, commands, progress, batch_size)
    for ln, result in zip(good, results, strict=True):
        outcome.tally(f"line {ln.line}", result, "registered", "unchanged")
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
    progress: Progressed,
) -> Outcome:
    commands = [issuer.command(GrantTermAid(student_id=UUID(s), term=term)) for s in student_ids]
    outcome = Outcome()
    results = await send_in_batches(client, commands, progress)
    for student_id, result in zip(student_ids, results, strict=True):
        outcome.tally(f"student {student_id}", result, "students_granted", "students_unchanged")
        outcome.counts["grants"] += len(getattr(result, "event_ids", []))
    return outcome
