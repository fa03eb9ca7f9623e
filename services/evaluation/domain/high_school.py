"""High-school development (work stream 5): construction projects and quality activities.

A project moves through its milestones in order, each on or after the date of the one before;
an activity is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from contracts.evaluation.commands import (
    AdvanceHighSchoolProject,
    EraseQualityActivityExperts,
    ProposeHighSchoolProject,
    RecordQualityImprovementActivity,
)
from contracts.evaluation.events import (
    HighSchoolProjectAdvanced,
    HighSchoolProjectProposed,
    QualityActivityExpertsErased,
    QualityImprovementActivityRecorded,
)
from contracts.evaluation.types import Milestone
from services.evaluation.domain.common import once
from shared.decider import Aggregate, Rejection

ORDER = tuple(Milestone)


@dataclass(frozen=True)
class Project:
    proposal: HighSchoolProjectProposed | None = None
    advances: tuple[HighSchoolProjectAdvanced, ...] = ()

    @property
    def milestone(self) -> Milestone:
        return self.advances[-1].milestone if self.advances else Milestone.PROPOSED


def evolve_project(state: Project, event: BaseModel) -> Project:
    match event:
        case HighSchoolProjectProposed():
            return replace(state, proposal=event)
        case HighSchoolProjectAdvanced():
            return replace(state, advances=(*state.advances, event))
    return state


def propose_project(state: Project, command: ProposeHighSchoolProject) -> list[BaseModel]:
    return once(
        state.proposal,
        HighSchoolProjectProposed(**command.model_dump()),
        "project_exists",
        f"project {command.project_id} was proposed with other data",
    )


def advance_project(state: Project, command: AdvanceHighSchoolProject) -> list[BaseModel]:
    """Reach the next milestone; one reached already, with the same data, changes nothing."""
    proposal = state.proposal
    if proposal is None:
        raise Rejection("unknown_project", f"no project {command.project_id}")
    advanced = HighSchoolProjectAdvanced(
        **command.model_dump(), county=proposal.county, school=proposal.school
    )
    reached = next((a for a in state.advances if a.milestone == command.milestone), None)
    if reached:
        return once(
            reached,
            advanced,
            "milestone_already_reached",
            f"project {command.project_id} reached {command.milestone.value} "
            f"on {reached.reached_on} already",
        )
    expected = ORDER[ORDER.index(state.milestone) + 1] if state.milestone != ORDER[-1] else None
    if command.milestone != expected:
        raise Rejection(
            "milestone_out_of_order",
            f"project {command.project_id} is {state.milestone.value}; "
            f"its next milestone is {expected.value if expected else 'none'}",
        )
    previous = state.advances[-1].reached_on if state.advances else proposal.proposed_on
    if command.reached_on < previous:
        raise Rejection(
            "milestone_before_previous",
            f"{command.milestone.value} on {command.reached_on} is before "
            f"{state.milestone.value} on {previous}",
        )
    return [advanced]


def county_of_project(state: Project) -> str:
    return state.proposal.county if state.proposal else ""


@dataclass(frozen=True)
class Activity:
    recorded: QualityImprovementActivityRecorded | None = None
    erased: bool = False


def evolve_activity(state: Activity, event: BaseModel) -> Activity:
    match event:
        case QualityImprovementActivityRecorded():
            return replace(state, recorded=event)
        case QualityActivityExpertsErased():
            return replace(state, erased=True)
    return state


def record_activity(state: Activity, command: RecordQualityImprovementActivity) -> list[BaseModel]:
    return once(
        state.recorded,
        QualityImprovementActivityRecorded(
            **command.model_dump(),
            year=command.held_on.year,
            expert_count=len(command.personal.experts),
        ),
        "activity_exists",
        f"activity {command.activity_id} was recorded with other data",
    )


def erase_activity_experts(
    state: Activity, command: EraseQualityActivityExperts
) -> list[BaseModel]:
    """Only a recorded activity of the county named; erased already: nothing more to do."""
    if state.recorded is None or state.recorded.county != command.county:
        raise Rejection(
            "unknown_activity", f"{command.county} has no activity {command.activity_id}"
        )
    if state.erased:
        return []
    return [
        QualityActivityExpertsErased(**command.model_dump(), key_id=f"record:{command.activity_id}")
    ]


def county_of_activity(state: Activity) -> str:
    return state.recorded.county if state.recorded else ""


PROJECT = Aggregate[Project]("high_school_project", Project(), evolve_project, county_of_project)
ACTIVITY = Aggregate[Activity]("quality_activity", Activity(), evolve_activity, county_of_activity)
