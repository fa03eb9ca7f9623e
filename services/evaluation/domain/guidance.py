"""A county's teaching-research guidance in one year: the plan of institutions and the visits.

One stream per county and year keeps the plan and its visits together, so a visit is checked
against the plan it belongs to, and a plan cannot drop an institution that was already visited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from uuid import UUID

from pydantic import BaseModel

from contracts.evaluation.commands import (
    AdoptGuidancePlan,
    CancelResearchVisit,
    EraseResearchVisitExperts,
    PlanResearchVisit,
    RecordResearchVisit,
)
from contracts.evaluation.events import (
    GuidancePlanAdopted,
    ResearchVisitCancelled,
    ResearchVisitExpertsErased,
    ResearchVisitHeld,
    ResearchVisitPlanned,
)
from services.evaluation.domain.common import once
from shared.decider import Aggregate, Rejection
from shared.i18n import listing, named


@dataclass(frozen=True)
class Visit:
    institution: str
    planned: ResearchVisitPlanned | None = None
    held: ResearchVisitHeld | None = None
    cancelled: ResearchVisitCancelled | None = None
    erased: bool = False


@dataclass(frozen=True)
class GuidanceYear:
    county: str = ""
    plan: GuidancePlanAdopted | None = None
    visits: Mapping[UUID, Visit] = field(default_factory=dict)

    def visited(self, institution: str) -> bool:
        return any(v.institution == institution and not v.cancelled for v in self.visits.values())


def evolve(state: GuidanceYear, event: BaseModel) -> GuidanceYear:
    match event:
        case GuidancePlanAdopted():
            return replace(state, county=event.county, plan=event)
        case ResearchVisitPlanned():
            return _with_visit(state, event.visit_id, Visit(event.institution, planned=event))
        case ResearchVisitHeld():
            visit = state.visits.get(event.visit_id, Visit(event.institution))
            return _with_visit(state, event.visit_id, replace(visit, held=event))
        case ResearchVisitCancelled():
            visit = state.visits[event.visit_id]
            return _with_visit(state, event.visit_id, replace(visit, cancelled=event))
        case ResearchVisitExpertsErased():
            visit = state.visits[event.visit_id]
            return _with_visit(state, event.visit_id, replace(visit, erased=True))
    return state


def _with_visit(state: GuidanceYear, visit_id: UUID, visit: Visit) -> GuidanceYear:
    return replace(state, visits={**state.visits, visit_id: visit})


def adopt_plan(state: GuidanceYear, command: AdoptGuidancePlan) -> list[BaseModel]:
    """Adopt or replace the year's plan; an institution already visited cannot be dropped."""
    adopted = GuidancePlanAdopted(**command.model_dump())
    if adopted == state.plan:
        return []
    kept = {i.institution for i in command.institutions}
    dropped = sorted(
        i.institution
        for i in (state.plan.institutions if state.plan else [])
        if i.institution not in kept and state.visited(i.institution)
    )
    if dropped:
        raise Rejection(
            "institution_has_visits",
            "{dropped} already had visits planned or held in {year}; a new plan must keep them",
            dropped=listing(dropped),
            year=command.year,
        )
    return [adopted]


def plan_visit(state: GuidanceYear, command: PlanResearchVisit) -> list[BaseModel]:
    _check_institution(state, command.institution, command.year)
    existing = state.visits.get(command.visit_id)
    planned = ResearchVisitPlanned(**command.model_dump())
    return once(
        existing.planned if existing else None,
        planned,
        "visit_exists",
        "visit {visit_id} already exists with other data",
        visit_id=command.visit_id,
    )


def record_visit(state: GuidanceYear, command: RecordResearchVisit) -> list[BaseModel]:
    """Record a visit held; a planned one must be held at the institution it was planned for."""
    _check_institution(state, command.institution, command.year)
    existing = state.visits.get(command.visit_id)
    if existing and existing.cancelled:
        raise Rejection(
            "visit_cancelled", "visit {visit_id} was cancelled", visit_id=command.visit_id
        )
    if existing and existing.institution != command.institution:
        raise Rejection(
            "institution_mismatch",
            "visit {visit_id} was planned for {planned}, not {institution}",
            visit_id=command.visit_id,
            planned=existing.institution,
            institution=command.institution,
        )
    held = ResearchVisitHeld(
        **command.model_dump(),
        was_planned=existing is not None and existing.planned is not None,
        expert_count=len(command.personal.experts),
    )
    return once(
        existing.held if existing else None,
        held,
        "visit_already_recorded",
        "visit {visit_id} was already recorded with other data",
        visit_id=command.visit_id,
    )


def cancel_visit(state: GuidanceYear, command: CancelResearchVisit) -> list[BaseModel]:
    visit = state.visits.get(command.visit_id)
    if visit is None:
        raise Rejection(
            "unknown_visit",
            "no planned visit {visit_id} in {year}",
            visit_id=command.visit_id,
            year=command.year,
        )
    if visit.held:
        raise Rejection(
            "visit_already_held", "visit {visit_id} took place already", visit_id=command.visit_id
        )
    if visit.cancelled:
        return []
    return [ResearchVisitCancelled(**command.model_dump(), institution=visit.institution)]


def erase_experts(state: GuidanceYear, command: EraseResearchVisitExperts) -> list[BaseModel]:
    """Only a visit of this county's year; erased already: nothing more to do."""
    visit = state.visits.get(command.visit_id)
    if visit is None:
        raise Rejection(
            "unknown_visit",
            "{county} has no research visit {visit_id} in {year}",
            county=named("county", command.county),
            visit_id=command.visit_id,
            year=command.year,
        )
    if visit.erased:
        return []
    return [
        ResearchVisitExpertsErased(
            **command.model_dump(exclude={"visit_id"}),
            visit_id=command.visit_id,
            key_id=f"record:{command.visit_id}",
        )
    ]


def _check_institution(state: GuidanceYear, institution: str, year: int) -> None:
    if state.plan is None:
        raise Rejection(
            "no_guidance_plan", "no guidance plan adopted for {year}: adopt one first", year=year
        )
    if institution not in {i.institution for i in state.plan.institutions}:
        raise Rejection(
            "unknown_institution",
            "{institution} is not in the guidance plan of {year}",
            institution=institution,
            year=year,
        )


def county_of(state: GuidanceYear) -> str:
    return state.county


GUIDANCE = Aggregate[GuidanceYear]("guidance", GuidanceYear(), evolve, county_of)
