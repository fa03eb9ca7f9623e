"""Teacher supply: special-post quotas per county and year, and new teachers one by one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    NormalGraduatePlaced,
    SpecialPostQuotaAllocated,
    SpecialPostsFilled,
    TuitionFreeGraduateRecruited,
)
from contracts.staffing.terms import school_year_of
from services.staffing.domain.targets import check_subject, county_targets
from services.staffing.targets import StaffingTargets
from shared.decider import Aggregate, Rejection
from shared.i18n import named

# Special-post teacher quota


@dataclass(frozen=True)
class SpecialPostQuota:
    county: str = ""
    quota: int | None = None
    filled: int = 0


def quota_stream(county: str, school_year: int) -> str:
    return f"{county}:special_posts:{school_year}"


def evolve_quota(state: SpecialPostQuota, event: BaseModel) -> SpecialPostQuota:
    if isinstance(event, SpecialPostQuotaAllocated):
        return replace(state, county=event.county, quota=event.quota)
    if isinstance(event, SpecialPostsFilled):
        return replace(state, filled=event.filled)
    return state


def allocate_quota(
    state: SpecialPostQuota, command: c.AllocateSpecialPostQuota, targets: StaffingTargets
) -> list[BaseModel]:
    """Set (or revise) the quota; never below the posts already filled."""
    county_targets(targets, command.county)
    if state.quota == command.quota:
        return []
    if command.quota < state.filled:
        raise Rejection(
            "quota_below_filled",
            "{filled} special posts of {school_year} are filled already",
            filled=state.filled,
            school_year=command.school_year,
        )
    return [SpecialPostQuotaAllocated(**command.model_dump())]


def record_filled(state: SpecialPostQuota, command: c.RecordSpecialPostsFilled) -> list[BaseModel]:
    if state.quota is None:
        raise Rejection(
            "no_quota",
            "no special-post quota is allocated to {county} for {school_year}",
            county=named("county", command.county),
            school_year=command.school_year,
        )
    if command.filled == state.filled:
        return []
    if command.filled > state.quota:
        raise Rejection(
            "exceeds_quota",
            "{filled} filled is more than the quota of {quota}",
            filled=command.filled,
            quota=state.quota,
        )
    return [SpecialPostsFilled(**command.model_dump(), quota=state.quota)]


QUOTA = Aggregate[SpecialPostQuota](
    "special_post_quota", SpecialPostQuota(), evolve_quota, lambda s: s.county
)

# New teachers: normal graduates placed, tuition-free graduates recruited


@dataclass(frozen=True)
class NewTeacher:
    record: NormalGraduatePlaced | TuitionFreeGraduateRecruited | None = None


def new_teacher_stream(graduate_id: UUID) -> str:
    return f"new_teacher:{graduate_id}"


def evolve_new_teacher(state: NewTeacher, event: BaseModel) -> NewTeacher:
    if isinstance(event, NormalGraduatePlaced | TuitionFreeGraduateRecruited):
        return NewTeacher(event)
    return state


def place_graduate(
    state: NewTeacher, command: c.PlaceNormalGraduate, targets: StaffingTargets
) -> list[BaseModel]:
    check_subject(targets, command.county, command.subject)
    year = school_year_of(command.placed_on)
    return _once(state, NormalGraduatePlaced(**command.model_dump(), school_year=year))


def recruit_graduate(
    state: NewTeacher, command: c.RecruitTuitionFreeGraduate, targets: StaffingTargets
) -> list[BaseModel]:
    check_subject(targets, command.county, command.subject)
    year = school_year_of(command.recruited_on)
    return _once(state, TuitionFreeGraduateRecruited(**command.model_dump(), school_year=year))


def _once(
    state: NewTeacher, record: NormalGraduatePlaced | TuitionFreeGraduateRecruited
) -> list[BaseModel]:
    """A graduate joins once; the same record again changes nothing."""
    if state.record == record:
        return []
    if state.record is not None:
        raise Rejection(
            "already_recorded",
            "graduate {graduate_id} joined {school} in {school_year} already",
            graduate_id=record.graduate_id,
            school=named("school", state.record.school),
            school_year=state.record.school_year,
        )
    return [record]


NEW_TEACHER = Aggregate[NewTeacher](
    "new_teacher",
    NewTeacher(),
    evolve_new_teacher,
    lambda s: s.record.county if s.record else "",
)
