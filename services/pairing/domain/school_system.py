"""Decisions on the helped school's modern school system: the four milestones and the
standardised-school assessments it passed. They belong to the school, not to one pair, so a
change of helper keeps them; each is recorded once (the same record again is no change)."""

from __future__ import annotations

from pydantic import BaseModel

from contracts.pairing.commands import RecordSchoolSystemMilestone, RecordStandardisedAssessment
from contracts.pairing.events import SchoolSystemMilestoneAchieved, StandardisedAssessmentPassed
from services.pairing.domain.school import HelpedSchool
from shared.decider import Rejection
from shared.i18n import named


def record_milestone(state: HelpedSchool, c: RecordSchoolSystemMilestone) -> list[BaseModel]:
    _helped(state, c.helped_school_id)
    achieved = SchoolSystemMilestoneAchieved(
        county=c.county,
        helped_school_id=c.helped_school_id,
        milestone=c.milestone,
        achieved_on=c.achieved_on,
        evidence=c.evidence,
    )
    existing = state.milestones.get(c.milestone)
    if existing == achieved:
        return []
    if existing is not None:
        raise Rejection(
            "milestone_already_recorded",
            "{helped_school_id} achieved {milestone} on {achieved_on}",
            helped_school_id=named("school", c.helped_school_id),
            milestone=c.milestone.value,
            achieved_on=existing.achieved_on,
        )
    return [achieved]


def record_assessment(state: HelpedSchool, c: RecordStandardisedAssessment) -> list[BaseModel]:
    _helped(state, c.helped_school_id)
    passed = StandardisedAssessmentPassed(
        county=c.county, helped_school_id=c.helped_school_id, level=c.level, passed_on=c.passed_on
    )
    existing = state.assessments.get(c.level)
    if existing == passed:
        return []
    if existing is not None:
        raise Rejection(
            "assessment_already_recorded",
            "{helped_school_id} passed the {level} assessment on {passed_on}",
            helped_school_id=named("school", c.helped_school_id),
            level=c.level.value,
            passed_on=existing.passed_on,
        )
    return [passed]


def _helped(state: HelpedSchool, school_id: str) -> None:
    if not state.pairs:
        raise Rejection(
            "not_a_helped_school",
            "{school_id} has never been paired",
            school_id=named("school", school_id),
        )
