"""The HelpedSchool aggregate: a county school with its pairs and what they record.

Why one stream per helped school (`f"{county}:{helped_school_id}"`): "a helped school has at
most one current helper per stage" is a rule across pairs, so the school holds its pairs and
optimistic concurrency on its stream decides between two concurrent EstablishPair commands.
Secondments ("at most 3 per side at a time"), shadowing, shared resources and the school's
modern-school-system progress live on the same stream, so every command touches one stream
and every rule is decided on state that cannot change underneath it. A school records a few
dozen events a year; folding 1,000 takes about 10 ms here, so no snapshots are needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, TypedDict
from uuid import UUID

from pydantic import BaseModel

from contracts.pairing.events import (
    ExchangeVisitMade,
    ManagerSeconded,
    ModelLessonGiven,
    PairEnded,
    PairEstablished,
    PairingPersonalDataErased,
    PairResumed,
    PairSuspended,
    SchoolSystemMilestoneAchieved,
    ShadowingRecorded,
    StandardisedAssessmentPassed,
    TeacherPairingAgreed,
    TeachingResourceShared,
)
from contracts.pairing.types import AssessmentLevel, Milestone
from contracts.types import Stage
from shared.decider import Aggregate

PairRecord = (
    ManagerSeconded
    | ShadowingRecorded
    | TeacherPairingAgreed
    | ModelLessonGiven
    | ExchangeVisitMade
    | TeachingResourceShared
)


class PairStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


@dataclass(frozen=True)
class Pair:
    pair_id: str
    stage: Stage
    helper_school_id: str
    helper_school_name: str
    division: str
    start_date: date
    status: PairStatus = PairStatus.ACTIVE
    since: date = date.min  # day of the last change of status
    secondments: tuple[ManagerSeconded, ...] = ()

    @property
    def current(self) -> bool:
        """Holds its stage: active or suspended, not ended."""
        return self.status is not PairStatus.ENDED


@dataclass(frozen=True)
class HelpedSchool:
    county: str = ""
    school_id: str = ""
    name: str = ""
    pairs: tuple[Pair, ...] = ()  # every pair the school ever had, oldest first
    records: dict[UUID, PairRecord] = field(default_factory=dict)  # by record id, never mutated
    milestones: dict[Milestone, SchoolSystemMilestoneAchieved] = field(default_factory=dict)
    assessments: dict[AssessmentLevel, StandardisedAssessmentPassed] = field(default_factory=dict)
    erased: frozenset[UUID] = frozenset()  # records whose names were erased

    def at(self, stage: Stage) -> list[Pair]:
        return [p for p in self.pairs if p.stage is stage]

    def current_pair(self, stage: Stage) -> Pair | None:
        return next((p for p in self.at(stage) if p.current), None)

    def pair(self, pair_id: str) -> Pair:
        return next(p for p in self.pairs if p.pair_id == pair_id)


def evolve(state: HelpedSchool, event: BaseModel) -> HelpedSchool:  # noqa: PLR0911 - a case per event
    match event:
        case PairEstablished():
            pair = Pair(
                pair_id=event.pair_id,
                stage=event.stage,
                helper_school_id=event.helper_school_id,
                helper_school_name=event.helper_school_name,
                division=event.responsible_division,
                start_date=event.start_date,
                since=event.start_date,
            )
            return replace(
                state,
                county=event.county,
                school_id=event.helped_school_id,
                name=event.helped_school_name,
                pairs=(*state.pairs, pair),
            )
        case PairSuspended():
            return _change(state, event.pair_id, status=PairStatus.SUSPENDED, since=event.on)
        case PairResumed():
            return _change(state, event.pair_id, status=PairStatus.ACTIVE, since=event.on)
        case PairEnded():
            return _change(state, event.pair_id, status=PairStatus.ENDED, since=event.on)
        case ManagerSeconded():
            secondments = (*state.pair(event.pair_id).secondments, event)
            changed = _change(state, event.pair_id, secondments=secondments)
            return replace(changed, records={**state.records, event.secondment_id: event})
        case (
            ShadowingRecorded()
            | TeacherPairingAgreed()
            | ModelLessonGiven()
            | ExchangeVisitMade()
            | TeachingResourceShared()
        ):
            return replace(state, records={**state.records, record_id(event): event})
        case SchoolSystemMilestoneAchieved():
            return replace(state, milestones={**state.milestones, event.milestone: event})
        case StandardisedAssessmentPassed():
            return replace(state, assessments={**state.assessments, event.level: event})
        case PairingPersonalDataErased():
            return replace(state, erased=state.erased | {event.record_id})
    return state


def record_id(event: PairRecord) -> UUID:
    match event:
        case ManagerSeconded():
            return event.secondment_id
        case ShadowingRecorded():
            return event.shadowing_id
        case TeacherPairingAgreed():
            return event.plan_id
        case ModelLessonGiven():
            return event.lesson_id
        case ExchangeVisitMade():
            return event.visit_id
        case TeachingResourceShared():
            return event.resource_id


def _change(state: HelpedSchool, pair_id: str, **changes: Any) -> HelpedSchool:
    pairs = tuple(replace(p, **changes) if p.pair_id == pair_id else p for p in state.pairs)
    return replace(state, pairs=pairs)


class PairFacts(TypedDict):
    """The fields every event about a pair starts with."""

    pair_id: str
    county: str
    helped_school_id: str
    stage: Stage


def facts_of(state: HelpedSchool, pair: Pair) -> PairFacts:
    return PairFacts(
        pair_id=pair.pair_id,
        county=state.county,
        helped_school_id=state.school_id,
        stage=pair.stage,
    )


def stream_id(county: str, helped_school_id: str) -> str:
    return f"{county}:{helped_school_id}"


def county_of(state: HelpedSchool) -> str:
    return state.county


HELPED_SCHOOL = Aggregate[HelpedSchool]("helped_school", HelpedSchool(), evolve, county_of)
