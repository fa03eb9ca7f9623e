"""Student-aid work driven from the command line: batches of commands over the bus.

Each flow sends its commands in batches with a few requests in flight, reports every result,
and can be run again without doubling anything (the domain decides what is already done).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

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
from contracts.envelope import Accepted
from contracts.files.csv_lines import Line
from contracts.files.exchange_files import PaymentLine
from contracts.files.roster import RosterLine
from services.cli.common import Issuer, Outcome, Progressed, good_lines, said, send_in_batches
from shared.commandbus import CommandClient

M = TypeVar("M", bound=BaseModel)
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
    outcome, good = good_lines(lines, progress)
    commands = [
        issuer.command(_value(ln).model_copy(update={"school_year": school_year})) for ln in good
    ]
    results = await send_in_batches(client, commands, progress, batch_size)
    outcome.tally_all((f"line {ln.line}" for ln in good), results, "registered", "unchanged")
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
    outcome, readable = good_lines(lines, progress)
    good = [ln for ln in readable if _value(ln).county == county]
    for ln in (ln for ln in readable if _value(ln).county != county):
        outcome.rejected.append(
            (f"line {ln.line}", "other_county", f"county {_value(ln).county}, not {county}")
        )
    revised = (_value(ln).model_dump(exclude={"school_year"}) for ln in good)
    commands = [
        issuer.command(ReviseStudent(**r, school_year=school_year, revision=revision))
        for r in revised
    ]
    kept: set[str] = set()
    for ln, result in zip(good, await send_in_batches(client, commands, progress), strict=True):
        if isinstance(result, Accepted):
            kept.add(result.stream_id)
            outcome.counts[_revision_change(result.event_types)] += 1
        else:
            outcome.rejected.append((f"line {ln.line}", result.code, said(result)))
    if any(ln.value is None and not ln.key for ln in lines):
        outcome.counts["removal_skipped"] = 1
    else:
        kept |= {str(s) for s in (await resolve(client, (ln.key for ln in lines))).values()}
        gone = [s for s in await registered_students(client, county) if s not in kept]
        removals = [
            issuer.command(RemoveFromRoster(student_id=UUID(s), revision=revision)) for s in gone
        ]
        results = await send_in_batches(client, removals, progress)
        outcome.tally_all(_students(gone), results, "removed", "already_off_roster")
    outcome.counts["rejected"] = len(outcome.rejected)
    return outcome


@dataclass(frozen=True)
class EachStudent:
    """A command sent to each student of a list (its `student_id` filled in), and how the
    answers are counted: accepted as `changed` or `unchanged`, rejections `expected` under
    their names, and `also` a count of what the accepted answers did."""

    model: type[BaseModel]
    changed: str
    unchanged: str
    expected: Mapping[str, str] = field(default_factory=dict)
    also: tuple[str, Callable[[Accepted], int]] | None = None

    async def send(
        self,
        client: CommandClient,
        student_ids: Sequence[str],
        fields: Mapping[str, Any],
        issuer: Issuer,
        progress: Progressed,
    ) -> Outcome:
        commands = [issuer.command(self.model(student_id=UUID(s), **fields)) for s in student_ids]
        results = await send_in_batches(client, commands, progress)
        outcome = Outcome()
        wheres = (f"student {s}" for s in student_ids)
        outcome.tally_all(wheres, results, self.changed, self.unchanged, self.expected)
        if self.also:
            name, count = self.also
            outcome.counts[name] += sum(count(r) for r in results if isinstance(r, Accepted))
        return outcome


GRANT = EachStudent(
    GrantTermAid,
    "students_granted",
    "students_unchanged",
    {"not_eligible": "not_eligible"},
    ("grants", lambda r: r.event_types.count("AidGranted")),
)
PAY = EachStudent(
    PayTermAid,
    "students_paid",
    "nothing_outstanding",
    also=("payments", lambda r: len(r.event_ids)),
)
PROMOTE = EachStudent(
    PromoteStudent, "promoted", "already_promoted", {"final_grade": "final_grade", **NOT_ACTIVE}
)


async def grant_aid(
    client: CommandClient,
    student_ids: Sequence[str],
    term: str,
    issuer: Issuer,
    progress: Progressed,
) -> Outcome:
    """Grant each student their stage's aid for the term, once."""
    return await GRANT.send(client, student_ids, {"term": term}, issuer, progress)


async def pay_file(
    client: CommandClient, lines: Sequence[Line[PaymentLine]], issuer: Issuer, progress: Progressed
) -> Outcome:
    outcome, good = good_lines(lines, progress)
    students = await resolve(client, (_value(ln).student_registry_id for ln in good))
    for ln in (ln for ln in good if _value(ln).student_registry_id not in students):
        outcome.rejected.append((f"line {ln.line}", "not_registered", "no such student"))
        progress(1)
    known = [ln for ln in good if _value(ln).student_registry_id in students]
    commands = [
        issuer.command(
            PayAid(
                student_id=students[_value(ln).student_registry_id],
                **_value(ln).model_dump(exclude={"student_registry_id"}),
            )
        )
        for ln in known
    ]
    results = await send_in_batches(client, commands, progress)
    outcome.tally_all((f"line {ln.line}" for ln in known), results, "paid", "unchanged")
    return outcome


async def dispatch_universities(
    client: CommandClient,
    county: str,
    school_year: int,
    rosters: Sequence[dict[str, Any]],
    dispatched_on: date,
    due_on: date,
    issuer: Issuer,
    progress: Progressed,
) -> Outcome:
    """One dispatch per university, from the reporting API's list of university students."""
    dates = {"dispatched_on": dispatched_on, "report_due_on": due_on}
    commands = [
        issuer.command(
            DispatchUniversityRoster(
                county=county,
                school_year=school_year,
                university=str(r["university"]),
                student_ids=[UUID(str(s)) for s in r["student_ids"]],
                **dates,
            )
        )
        for r in rosters
    ]
    results = await send_in_batches(client, commands, progress, batch_size=20)
    outcome = Outcome()
    expected = {"already_dispatched": "already_dispatched"}
    universities = (str(r["university"]) for r in rosters)
    outcome.tally_all(universities, results, "dispatched", "unchanged", expected)
    for r, result in zip(rosters, results, strict=True):
        if isinstance(result, Accepted) and result.event_ids:
            outcome.counts["students"] += len(r["student_ids"])
    return outcome


def _value(line: Line[M]) -> M:
    assert line.value is not None  # a good line (good_lines)
    return line.value


def _students(ids: Iterable[str]) -> list[str]:
    return [f"student {s}" for s in ids]


def _revision_change(event_types: list[str]) -> str:
    if "StudentRegistered" in event_types:
        return "registered"
    if "StudentRestoredToRoster" in event_types:
        return "restored"
    return "revised" if event_types else "unchanged"
