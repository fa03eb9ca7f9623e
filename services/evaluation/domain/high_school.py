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
from shared.i18n import named

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
        "project {project_id} was proposed with other data",
        project_id=command.project_id,
    )


def advance_project(state: Project, command: AdvanceHighSchoolProject) -> list[BaseModel]:
    """Reach the next milestone; one reached already, with the same data, changes nothing."""
    proposal = state.proposal
    if proposal is None:
        raise Rejection("unknown_project", "no project {project_id}", project_id=command.project_id)
    advanced = HighSchoolProjectAdvanced(
        **command.model_dump(), county=proposal.county, school=proposal.school
    )
    reached = next((a for a in state.advances if a.milestone == command.milestone), None)
    if reached:
        return once(
            reached,
            advanced,
            "milestone_already_reached",
            "project {project_id} reached {milestone} on {reached_on} already",
            project_id=command.project_id,
            milestone=command.milestone.value,
            reached_on=reached.reached_on,
        )
    expected = ORDER[ORDER.index(state.milestone) + 1] if state.milestone != ORDER[-1] else None
    if command.milestone != expected:
        raise Rejection(
            "milestone_out_of_order",
            "project {project_id} is {milestone}; its next milestone is {next}",
            project_id=command.project_id,
            milestone=state.milestone.value,
            next=expected.value if expected else named("ui", "none"),
        )
    previous = state.advances[-1].reached_on if state.advances else proposal.proposed_on
    if command.reached_on < previous:
        raise Rejection(
            "milestone_before_previous",
            "{milestone} on {reached_on} is before {reached} on {previous}",
            milestone=command.milestone.value,
            reached_on=command.reached_on,
            reached=state.milestone.value,
            previous=previous,
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
        "activity {activity_id} was recorded with other data",
        activity_id=command.activity_id,
    )


def erase_activity_experts(
    state: Activity, command: EraseQualityActivityExperts
) -> list[BaseModel]:
    """Only a recorded activity of the county named; erased already: nothing more to do."""
    if state.recorded is None or state.recorded.county != command.county:
        raise Rejection(
            "unknown_activity",
            "{county} has no activity {activity_id}",
            county=named("county", command.county),
            activity_id=command.activity_id,
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
