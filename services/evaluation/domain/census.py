"""A county's statistics census of one year and stage, and its balance assessments.

One stream per county, year and stage holds the school register, every submission and
correction, and the assessments; so an assessment sees exactly the data it decides on, and a
submission racing with it is retried against the new state (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from pydantic import BaseModel

from contracts.evaluation.commands import (
    AssessBalancedDevelopment,
    CorrectSchoolStatistics,
    DeregisterCensusSchool,
    RegisterCensusSchool,
    SubmitSchoolStatistics,
)
from contracts.evaluation.events import (
    BalancedDevelopmentAssessed,
    CensusSchoolDeregistered,
    CensusSchoolRegistered,
    SchoolStatisticsCorrected,
    SchoolStatisticsSubmitted,
)
from contracts.evaluation.types import BalanceThresholds, SchoolStatistics
from services.evaluation.domain.balance import SchoolData, assess_balance
from services.evaluation.thresholds import ThresholdBook
from shared.decider import Aggregate, Rejection
from shared.i18n import listing, named

Basis = tuple[BalanceThresholds, tuple[tuple[str, int], ...]]
"""What an assessment was decided on: the thresholds and each school's data revision."""


@dataclass(frozen=True)
class Submission:
    revision: int
    statistics: SchoolStatistics


@dataclass(frozen=True)
class Census:
    county: str = ""
    registered: Mapping[str, str] = field(default_factory=dict)  # school -> name
    submissions: Mapping[str, Submission] = field(default_factory=dict)
    assessments: int = 0
    assessed_on: Basis | None = None


def evolve(state: Census, event: BaseModel) -> Census:
    match event:
        case CensusSchoolRegistered():
            registered = {**state.registered, event.school: event.name}
            return replace(state, county=event.county, registered=registered)
        case CensusSchoolDeregistered():
            registered = {k: v for k, v in state.registered.items() if k != event.school}
            return replace(state, registered=registered)
        case SchoolStatisticsSubmitted() | SchoolStatisticsCorrected():
            submission = Submission(event.revision, event.statistics)
            return replace(state, submissions={**state.submissions, event.school: submission})
        case BalancedDevelopmentAssessed():
            revisions = tuple((s.school, s.revision) for s in event.schools)
            return replace(
                state,
                assessments=event.assessment,
                assessed_on=(event.thresholds, revisions),
            )
    return state


def register_school(state: Census, command: RegisterCensusSchool) -> list[BaseModel]:
    name = state.registered.get(command.school)
    if name == command.name:
        return []
    if name is not None:
        raise Rejection(
            "school_already_registered",
            "{school} is registered as {name}; deregister it first to rename it",
            school=named("school", command.school),
            name=name,
        )
    return [CensusSchoolRegistered(**command.model_dump())]


def deregister_school(state: Census, command: DeregisterCensusSchool) -> list[BaseModel]:
    _check_registered(state, command.school)
    return [CensusSchoolDeregistered(**command.model_dump())]


def submit_statistics(state: Census, command: SubmitSchoolStatistics) -> list[BaseModel]:
    """The first submission of the year; the same figures again change nothing."""
    _check_registered(state, command.school)
    submitted = state.submissions.get(command.school)
    if submitted is None:
        return [SchoolStatisticsSubmitted(**command.model_dump(), revision=1)]
    if submitted.statistics == command.statistics:
        return []
    raise Rejection(
        "already_submitted",
        (
            "{school} already submitted other figures (revision {revision}); send a "
            "correction with its reason"
        ),
        school=named("school", command.school),
        revision=submitted.revision,
    )


def correct_statistics(state: Census, command: CorrectSchoolStatistics) -> list[BaseModel]:
    """A correction is a new revision; the earlier figures stay on record."""
    _check_registered(state, command.school)
    submitted = state.submissions.get(command.school)
    if submitted is None:
        raise Rejection(
            "nothing_to_correct",
            "{school} has submitted no statistics to correct",
            school=named("school", command.school),
        )
    if submitted.statistics == command.statistics:
        return []
    return [SchoolStatisticsCorrected(**command.model_dump(), revision=submitted.revision + 1)]


def assess(
    state: Census, command: AssessBalancedDevelopment, thresholds: ThresholdBook
) -> list[BaseModel]:
    """Assess from every registered school's latest figures; refuse while any are missing.

    Assessing again on the same figures and thresholds records nothing new.
    """
    if not state.registered:
        raise Rejection(
            "no_schools_registered",
            "no {stage} schools registered in {county} for {year}",
            stage=named("stage", command.stage),
            county=named("county", command.county),
            year=command.year,
        )
    missing = sorted(s for s in state.registered if s not in state.submissions)
    if missing:
        raise Rejection(
            "missing_school_data",
            "{count} school(s) have not submitted {year} statistics: {schools}",
            count=len(missing),
            year=command.year,
            schools=listing(f"{s} ({state.registered[s]})" for s in missing),
        )
    in_force = thresholds.balance_for(command.year, command.stage)
    if in_force is None:
        raise Rejection(
            "no_thresholds_in_force", "no balance thresholds apply to {year}", year=command.year
        )
    schools = [
        SchoolData(
            school, name, state.submissions[school].revision, state.submissions[school].statistics
        )
        for school, name in sorted(state.registered.items())
    ]
    basis = (in_force, tuple((s.school, s.revision) for s in schools))
    if basis == state.assessed_on:
        return []
    return [
        assess_balance(
            command.county,
            command.year,
            command.stage,
            schools,
            in_force,
            state.assessments + 1,
        )
    ]


def _check_registered(state: Census, school: str) -> None:
    if school not in state.registered:
        raise Rejection(
            "school_not_registered",
            "{school} is not on this census's school list",
            school=named("school", school),
        )


def county_of(state: Census) -> str:
    return state.county


CENSUS = Aggregate[Census]("census", Census(), evolve, county_of)
