"""The Student aggregate: a registered poor student on the aid roster and the aid granted.

Pure: state is folded from events, decisions return new events or raise a Rejection.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from pydantic import BaseModel

from contracts.assistance.commands import GrantTermAid, RegisterStudent
from contracts.assistance.events import AidGranted, StudentRegistered
from contracts.types import Stage, StudentPersonal
from services.assistance.catalogue import AidCatalogue
from shared.decider import Aggregate, Rejection


@dataclass(frozen=True)
class Student:
    student_id: UUID | None = None
    county: str = ""
    school: str = ""
    stage: Stage = Stage.PRESCHOOL
    grade: int = 0
    boarding: bool = False
    personal: StudentPersonal | None = None
    granted: frozenset[tuple[str, str]] = frozenset()  # (term, programme)

    @property
    def registered(self) -> bool:
        return self.student_id is not None


def evolve(state: Student, event: BaseModel) -> Student:
    match event:
        case StudentRegistered():
            return Student(
                student_id=event.student_id,
                county=event.county,
                school=event.school,
                stage=event.stage,
                grade=event.grade,
                boarding=event.boarding,
                personal=event.personal,
            )
        case AidGranted():
            return replace(state, granted=state.granted | {(event.term, event.programme)})
    return state


def register(state: Student, command: RegisterStudent, student_id: UUID) -> list[BaseModel]:
    """Register once; the same roster line again changes nothing, different data is refused."""
    if state.registered:
        if _same_registration(state, command):
            return []
        raise Rejection(
            "already_registered",
            f"student {command.personal.student_registry_id} is already registered with other "
            "data; a changed roster line is a revision, not a registration",
        )
    return [
        StudentRegistered(
            student_id=student_id,
            county=command.county,
            school=command.school,
            stage=command.stage,
            grade=command.grade,
            boarding=command.boarding,
            personal=command.personal,
        )
    ]


def grant_term_aid(
    state: Student, command: GrantTermAid, catalogue: AidCatalogue
) -> list[BaseModel]:
    """Grant every programme of the student's stage for the term, each at most once per term;
    a one-off programme (the freshman travel grant) at most once at all."""
    if not state.registered:
        raise Rejection("not_registered", f"no registered student {command.student_id}")
    return [
        AidGranted(
            student_id=command.student_id,
            term=command.term,
            programme=e.programme,
            stage=state.stage,
            grade=state.grade,
            amount=e.amount,
            annual_amount=e.annual_amount,
        )
        for e in catalogue.entitlements(
            state.county, state.stage, state.grade, state.boarding, command.term
        )
        if (command.term, e.programme) not in state.granted
        and not (e.once and any(programme == e.programme for _, programme in state.granted))
    ]


def _same_registration(state: Student, command: RegisterStudent) -> bool:
    return (
        state.county,
        state.school,
        state.stage,
        state.grade,
        state.boarding,
        state.personal,
    ) == (
        command.county,
        command.school,
        command.stage,
        command.grade,
        command.boarding,
        command.personal,
    )


def county_of(state: Student) -> str:
    return state.county


STUDENT = Aggregate[Student]("student", Student(), evolve, county_of)
