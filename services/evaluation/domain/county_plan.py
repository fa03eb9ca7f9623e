"""A county's plan and its revisions: each applies from its own date, none is rewritten, so a
report judged on an earlier day keeps the plan in force then."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts.evaluation.commands import AdoptCountyPlan
from contracts.evaluation.events import CountyPlanAdopted
from shared.decider import Aggregate


@dataclass(frozen=True)
class CountyPlans:
    county: str = ""
    revisions: tuple[CountyPlanAdopted, ...] = ()


def plan_stream(command: AdoptCountyPlan) -> str:
    return f"plan:{command.county}"


def evolve(state: CountyPlans, event: BaseModel) -> CountyPlans:
    if isinstance(event, CountyPlanAdopted):
        return CountyPlans(event.county, (*state.revisions, event))
    return state


def adopt(state: CountyPlans, command: AdoptCountyPlan) -> list[BaseModel]:
    """A new revision, unless the latest one is this very plan from this very day."""
    latest = state.revisions[-1] if state.revisions else None
    if latest and (latest.effective_from, latest.plan) == (command.effective_from, command.plan):
        return []
    return [
        CountyPlanAdopted(
            county=command.county,
            revision=len(state.revisions) + 1,
            effective_from=command.effective_from,
            plan=command.plan,
        )
    ]


COUNTY_PLAN = Aggregate[CountyPlans]("county_plan", CountyPlans(), evolve, lambda s: s.county)
