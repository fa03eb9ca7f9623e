"""One university's roster for one school year: dispatched once, reported back (maybe late)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from pydantic import BaseModel

from contracts.assistance.commands import DispatchUniversityRoster, RecordUniversityAidReport
from contracts.assistance.events import UniversityAidReported, UniversityRosterDispatched
from shared.decider import Aggregate, Rejection


def dispatch_stream(county: str, school_year: int, university: str) -> str:
    return f"{county}/{school_year}/{university}"


@dataclass(frozen=True)
class Dispatch:
    county: str = ""
    dispatched: UniversityRosterDispatched | None = None
    reports: int = 0

    @property
    def students(self) -> frozenset[UUID]:
        return frozenset(self.dispatched.student_ids if self.dispatched else ())

    @property
    def due(self) -> date | None:
        return self.dispatched.report_due_on if self.dispatched else None


def evolve(state: Dispatch, event: BaseModel) -> Dispatch:
    match event:
        case UniversityRosterDispatched():
            return Dispatch(county=event.county, dispatched=event)
        case UniversityAidReported():
            return replace(state, reports=event.report_no)
    return state


def dispatch(state: Dispatch, command: DispatchUniversityRoster) -> list[BaseModel]:
    """One dispatch per university and school year; sending the same roster again is a no-op."""
    event = UniversityRosterDispatched(
        **command.model_dump(exclude={"student_ids"}), student_ids=sorted(command.student_ids)
    )
    if state.dispatched is not None:
        if state.dispatched == event:
            return []
        raise Rejection(
            "already_dispatched",
            "{university} got its {school_year} roster on {dispatched_on}",
            university=command.university,
            school_year=command.school_year,
            dispatched_on=state.dispatched.dispatched_on,
        )
    return [event]


def report(state: Dispatch, command: RecordUniversityAidReport) -> list[BaseModel]:
    if state.dispatched is None or state.due is None:
        raise Rejection(
            "not_dispatched",
            "no roster was dispatched to {university} for {school_year}",
            university=command.university,
            school_year=command.school_year,
        )
    strangers = sorted(
        {str(e.student_id) for e in command.entries} - {str(s) for s in state.students}
    )
    if strangers:
        shown = ", ".join(strangers[:5]) + (" ..." if len(strangers) > 5 else "")
        raise Rejection(
            "not_in_dispatch",
            "{count} student(s) were not dispatched: {shown}",
            count=len(strangers),
            shown=shown,
        )
    return [
        UniversityAidReported(
            county=command.county,
            university=command.university,
            school_year=command.school_year,
            report_no=state.reports + 1,
            received_on=command.received_on,
            late=command.received_on > state.due,
            entries=command.entries,
        )
    ]


DISPATCH = Aggregate[Dispatch]("university_dispatch", Dispatch(), evolve, lambda s: s.county)
