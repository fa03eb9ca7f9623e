"""Student-aid work driven from the command line: batches of commands over the bus.

Each flow sends its commands in batches with a few requests in flight, reports every result,
and can be run again without doubling anything (the domain decides what is already done).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from contracts.assistance.commands import (
    DispatchUniversityRoster,
    GrantTermAid,
    PayAid,
    PayTermAid,
    PromoteStudent,
    RemoveFromRoster,
    ReviseStudent,
)
from contracts.assistance.queries import (
    ListStudentIds,
    ResolvedStudents,
    ResolveStudents,
    StudentIdPage,
)
from contracts.assistance.types import PaymentChannel
from contracts.envelope import Accepted
from contracts.files.csv_lines import Line
from contracts.files.exchange_files import PaymentLine
from contracts.files.roster import RosterLine
from services.cli.common import Issuer, Outcome, Progressed, said, send_in_batches
from shared.commandbus import CommandClient

NOT_ACTIVE = {"not_on_roster": "not_active", "not_in_school": "not_active"}


async def registered_students(client: CommandClient, county: str) -> list[str]:
    """Every student stream of the county, from the service's own store."""
    ids: list[str] = []
    while True:
        page = await client.query(
            ListStudentIds(county=county, after=ids[-1] if ids else "", limit=5000), StudentIdPage
        )
        ids += page.student_ids
        if len(page.student_ids) < 5000:
            return ids


async def resolve(client: CommandClient, registry_ids: Iterable[str]) -> dict[str, UUID]:
    """Registry number -> student id, for the registered students among them."""
    wanted = sorted(set(registry_ids))
    found: dict[str, UUID] = {}
    for start in range(0, len(wanted), 5000):
        query = ResolveStudents(registry_ids=wanted[start : start + 5000])
        found |= (await client.query(query, ResolvedStudents)).student_ids
    return found


async def import_roster(
    client: CommandClient,
    lines: Sequence[RosterLine],
    issuer: Issuer,
    progress: Progressed,
    batch_size: int = 250,
    school_year: int | None = None,
) -> Outcome:
    """Register each good line; `school_year` says which year the grades are for."""
    outcome = _bad_lines(lines, progress)
    good = [ln for ln in lines if ln.value is not None]
    commands = [
        issuer.command(ln.value.model_copy(update={"school_year": school_year}))
        for ln in good
        if ln.value is not None
    ]
    results = await send_in_batches(client, commands, progress, batch_size)
    for ln, result in zip(good, results, strict=True):
        outcome.tally(f"line {ln.line}", result, "registered", "unchanged")
    return outcome


async def revise_roster(
    client: CommandClient,
    lines: Sequence[RosterLine],
    county: str,
    revision: str,
    issuer: Issuer,
    progress: Progressed,
    school_year: int | None = None,
) -> Outcome:
    """Apply a revised roster of one county: register, restore or update every line's student,
    then take off the roster the county's students the file no longer lists.

    Students on unreadable lines are kept; if a line's registry number cannot even be read,
    nobody is taken off (fix the file and revise again).
    """
    outcome = _bad_lines(lines, progress)
    good = [ln for ln in lines if ln.value is not None and ln.value.county == county]
    for ln in lines:
        if ln.value is not None and ln.value.county != county:
            outcome.rejected.append(
                (f"line {ln.line}", "other_county", f"county {ln.value.county}, not {county}")
            )
    commands = [
        issuer.command(
            ReviseStudent(
                **ln.value.model_dump(exclude={"school_year"}),
                school_year=school_year,
                revision=revision,
            )
        )
        for ln in good
        if ln.value is not None
    ]
    kept: set[str] = set()
    for ln, result in zip(good, await send_in_batches(client, commands, progress), strict=True):
        if isinstance(result, Accepted):
            kept.add(result.stream_id)
            outcome.counts[_revision_change(result.event_types)] += 1
        else:
            outcome.rejected.append((f"line {ln.line}", result.code, said(result)))
    unreadable = [ln for ln in lines if ln.value is None and not ln.key]
    if unreadable:
        outcome.counts["removal_skipped"] = 1
    else:
        kept |= {str(s) for s in (await resolve(client, (ln.key for ln in lines))).values()}
        gone = [s for s in await registered_students(client, county) if s not in kept]
        removals = [
            issuer.command(RemoveFromRoster(student_id=UUID(s), revision=revision)) for s in gone
        ]
        for s, result in zip(gone, await send_in_batches(client, removals, progress), strict=True):
            outcome.tally(f"student {s}", result, "removed", "already_off_roster")
    outcome.counts["rejected"] = len(outcome.rejected)
    return outcome


async def promote(
    client: CommandClient, county: str, school_year: int, issuer: Issuer, progress: Progressed
) -> Outcome:
    ids = await registered_students(client, county)
    commands = [
        issuer.command(PromoteStudent(student_id=UUID(s), school_year=school_year)) for s in ids
    ]
    outcome = Outcome()
    for s, result in zip(ids, await send_in_batches(client, commands, progress), strict=True):
        outcome.tally(
            f"student {s}",
            result,
            "promoted",
            "already_promoted",
            {"final_grade": "final_grade", **NOT_ACTIVE},
        )
    return outcome


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
        outcome.tally(
            f"student {student_id}",
            result,
            "students_granted",
            "students_unchanged",
            {"not_eligible": "not_eligible"},
        )
        if isinstance(result, Accepted):
            outcome.counts["grants"] += result.event_types.count("AidGranted")
    return outcome


async def pay_term(
    client: CommandClient,
    county: str,
    term: str,
    paid_on: date,
    channel: PaymentChannel,
    reference: str,
    issuer: Issuer,
    progress: Progressed,
) -> Outcome:
    ids = await registered_students(client, county)
    commands = [
        issuer.command(
            PayTermAid(
                student_id=UUID(s), term=term, paid_on=paid_on, channel=channel, reference=reference
            )
        )
        for s in ids
    ]
    outcome = Outcome()
    for s, result in zip(ids, await send_in_batches(client, commands, progress), strict=True):
        outcome.tally(f"student {s}", result, "students_paid", "nothing_outstanding")
        if isinstance(result, Accepted):
            outcome.counts["payments"] += len(result.event_ids)
    return outcome


async def pay_file(
    client: CommandClient, lines: Sequence[Line[PaymentLine]], issuer: Issuer, progress: Progressed
) -> Outcome:
    outcome = _bad_lines(lines, progress)
    good = [ln for ln in lines if ln.value is not None]
    students = await resolve(client, (ln.value.student_registry_id for ln in good if ln.value))
    sendable = []
    for ln in good:
        assert ln.value is not None
        student = students.get(ln.value.student_registry_id)
        if student is None:
            outcome.rejected.append((f"line {ln.line}", "not_registered", "no such student"))
            progress(1)
            continue
        fields = ln.value.model_dump(exclude={"student_registry_id"})
        sendable.append((ln, issuer.command(PayAid(student_id=student, **fields))))
    results = await send_in_batches(client, [c for _, c in sendable], progress)
    for (ln, _), result in zip(sendable, results, strict=True):
        outcome.tally(f"line {ln.line}", result, "paid", "unchanged")
    return outcome


async def dispatch_universities(
    client: CommandClient,
    county: str,
    school_year: int,
    rosters: Sequence[dict[str, object]],
    dispatched_on: date,
    due_on: date,
    issuer: Issuer,
    progress: Progressed,
) -> Outcome:
    """One dispatch per university, from the reporting API's list of university students."""
    commands = [
        issuer.command(
            DispatchUniversityRoster(
                county=county,
                school_year=school_year,
                university=str(r["university"]),
                student_ids=[UUID(str(s)) for s in r["student_ids"]],  # type: ignore[attr-defined]
                dispatched_on=dispatched_on,
                report_due_on=due_on,
            )
        )
        for r in rosters
    ]
    outcome = Outcome()
    results = await send_in_batches(client, commands, progress, batch_size=20)
    for r, result in zip(rosters, results, strict=True):
        outcome.tally(
            str(r["university"]),
            result,
            "dispatched",
            "unchanged",
            {"already_dispatched": "already_dispatched"},
        )
        if isinstance(result, Accepted) and result.event_ids:
            outcome.counts["students"] += len(r["student_ids"])  # type: ignore[arg-type]
    return outcome


def _bad_lines(lines: Sequence[Line[Any]], progress: Progressed) -> Outcome:
    outcome = Outcome()
    for bad in (ln for ln in lines if ln.value is None):
        outcome.reject_line(bad.line, bad.error)
        progress(1)
    return outcome


def _revision_change(event_types: list[str]) -> str:
    if "StudentRegistered" in event_types:
        return "registered"
    if "StudentRestoredToRoster" in event_types:
        return "restored"
    return "revised" if event_types else "unchanged"
