"""Commands the evaluation service accepts on `commands.evaluation.<name>`."""

from __future__ import annotations

from datetime import date
from typing import Self
from uuid import UUID

from pydantic import Field, model_validator

from contracts.evaluation.plan import CountyPlan
from contracts.evaluation.types import (
    ActivityKind,
    CompulsoryStage,
    Count,
    EvaluationOutcome,
    EvaluationScope,
    EvaluatorKind,
    ExpertsPersonal,
    FundingSource,
    GuidanceInstitution,
    LocalId,
    Milestone,
    Name,
    Rate,
    RateId,
    SchoolStatistics,
    Score,
    Title,
    Topic,
    Year,
    check_in_year,
)
from contracts.rules import RuleBroken
from contracts.sentence import Named
from contracts.types import Amount, Contract, CountyCode, Department


def _unique(values: list[str], what: str) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise RuleBroken(
            "{what} repeat: {repeated}",
            what=Named(context="field_path", id=what),
            repeated=repeated,
        )


# Teaching-research guidance


class AdoptGuidancePlan(Contract):
    """Name the institutions experts visit in a year and the visits each should get."""

    county: CountyCode
    year: Year
    institutions: list[GuidanceInstitution] = Field(
        min_length=1,
        max_length=500,
        description="Institutions to visit (research office, schools).",
    )
    visits_min: int = Field(1, ge=0, le=12, description="Fewest visits per institution a year.")
    visits_max: int = Field(2, ge=1, le=12, description="Most visits per institution a year.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _unique([i.institution for i in self.institutions], "institutions")
        if self.visits_min > self.visits_max:
            raise RuleBroken("visits_min exceeds visits_max")
        return self


class _Visit(Contract):
    county: CountyCode
    year: Year
    visit_id: UUID = Field(description="Id the client gives the visit.")
    institution: LocalId
    topics: list[Topic] = Field(
        min_length=1, max_length=20, description="What the experts work on."
    )
    personal: ExpertsPersonal = Field(description="The visiting experts.")

    @model_validator(mode="after")
    def _unique_topics(self) -> Self:
        _unique(self.topics, "topics")
        return self


class PlanResearchVisit(_Visit):
    """Plan an expert research visit to an institution."""

    planned_on: date = Field(description="Planned date, within the year.")

    @model_validator(mode="after")
    def _in_year(self) -> Self:
        check_in_year(self.planned_on, self.year, "planned_on")
        return self


class RecordResearchVisit(_Visit):
    """Record a visit that took place, planned or not."""

    held_on: date = Field(description="Date of the visit, within the year.")
    findings: str = Field("", max_length=10_000, description="What the experts found and advised.")

    @model_validator(mode="after")
    def _in_year(self) -> Self:
        check_in_year(self.held_on, self.year, "held_on")
        return self


class CancelResearchVisit(Contract):
    """Call off a planned visit that will not take place."""

    county: CountyCode
    year: Year
    visit_id: UUID = Field(description="The planned visit.")
    reason: str = Field(min_length=1, max_length=2000, description="Why, in a sentence or two.")


class EraseResearchVisitExperts(Contract):
    """Erase the experts' names a research visit holds (planned and held): the visit's data
    key is destroyed, so no copy can be read again; the visit and its figures stay. Erasing
    again changes nothing."""

    county: CountyCode
    year: Year
    visit_id: UUID = Field(description="The visit whose experts are erased.")
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the request's number.")
    requested_by: Department = Field(description="Department that asked for the erasure.")


# School statistics and balanced development


class _CensusCommand(Contract):
    county: CountyCode
    year: Year
    stage: CompulsoryStage = Field(description="Stage of the census.")


class RegisterCensusSchool(_CensusCommand):
    """Put a school on the list of schools whose statistics the year's assessment needs."""

    school: LocalId
    name: Name


class DeregisterCensusSchool(_CensusCommand):
    """Take a school off the list (closed, merged, or registered by mistake)."""

    school: LocalId
    reason: str = Field(min_length=1, max_length=2000, description="Why, in a sentence or two.")


class SubmitSchoolStatistics(_CensusCommand):
    """A school's first statistics of the year; later changes are corrections."""

    school: LocalId
    statistics: SchoolStatistics = Field(description="The school's figures.")


class CorrectSchoolStatistics(_CensusCommand):
    """Replace a school's statistics with corrected ones; the earlier ones stay on record."""

    school: LocalId
    statistics: SchoolStatistics = Field(description="The school's corrected figures, in full.")
    reason: str = Field(min_length=1, max_length=2000, description="Why, in a sentence or two.")


class AssessBalancedDevelopment(_CensusCommand):
    """Assess the county's balance for the year and stage from every registered school's data."""


# Double-high double-universal


class RecordUniversalEducationFigures(Contract):
    """Record the county's enrolment rates for the year; a later record supersedes it."""

    county: CountyCode
    year: Year
    rates: dict[RateId, Rate] = Field(
        min_length=1, max_length=50, description="Rates in percent by figure id."
    )
    source: str = Field(min_length=1, max_length=500, description="Where the figures come from.")


class AssessDualHighDualUniversal(Contract):
    """Assess the county's latest figures of the year against the thresholds in force."""

    county: CountyCode
    year: Year


# High-school development (work stream 5)


class ProposeHighSchoolProject(Contract):
    """Propose a construction project for a county high school."""

    project_id: UUID = Field(description="Id the client gives the project.")
    county: CountyCode
    school: LocalId
    name: Name
    funding_source: FundingSource = Field(description="Programme or budget asked to fund it.")
    amount: Amount = Field(description="Yuan asked for.")
    proposed_on: date = Field(description="Date of the proposal.")


class AdvanceHighSchoolProject(Contract):
    """Record that a project reached its next milestone."""

    project_id: UUID = Field(description="The project.")
    milestone: Milestone = Field(description="Milestone reached; not `proposed`.")
    reached_on: date = Field(description="Date the milestone was reached.")
    funded_amount: Amount | None = Field(
        None, description="Yuan granted; only with `funded`, where it is required."
    )
    note: str = Field("", max_length=2000, description="Decision number, remarks.")

    @model_validator(mode="after")
    def _amount_only_when_funded(self) -> Self:
        if self.milestone is Milestone.PROPOSED:
            raise RuleBroken("a project is proposed with ProposeHighSchoolProject")
        if (self.funded_amount is None) == (self.milestone is Milestone.FUNDED):
            raise RuleBroken("funded_amount is given with the funded milestone, and only then")
        return self


class RecordQualityImprovementActivity(Contract):
    """Record an expert activity that improves a high school's teaching quality."""

    activity_id: UUID = Field(description="Id the client gives the activity.")
    county: CountyCode
    school: LocalId
    held_on: date = Field(description="Date of the activity.")
    kind: ActivityKind = Field(description="What kind of activity.")
    participants: Count = Field(description="Local teachers and managers who took part.")
    personal: ExpertsPersonal = Field(description="The experts who led it.")
    summary: str = Field("", max_length=4000, description="What was done.")


class EraseQualityActivityExperts(Contract):
    """Erase the experts' names a quality-improvement activity holds: its data key is
    destroyed; the activity and its figures stay. Erasing again changes nothing."""

    activity_id: UUID = Field(description="The activity whose experts are erased.")
    county: CountyCode = Field(description="County of the activity (its jurisdiction).")
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the request's number.")
    requested_by: Department = Field(description="Department that asked for the erasure.")


# Supervisory and third-party evaluation


class RecordSupervisoryEvaluation(Contract):
    """Record an evaluation of the county by the supervision office or a third party."""

    evaluation_id: UUID = Field(description="Id the client gives the evaluation.")
    county: CountyCode
    year: Year
    body: Name = Field(description="Who evaluated, e.g. 鼎力评估中心.")
    body_kind: EvaluatorKind = Field(description="Supervision office or third party.")
    scope: EvaluationScope = Field(description="What was evaluated.")
    evaluated_on: date = Field(description="Date of the evaluation (or its report), in the year.")
    score: Score | None = Field(None, description="Score out of 100, when the body gives one.")
    findings: str = Field("", max_length=20_000, description="Findings and recommendations.")

    @model_validator(mode="after")
    def _in_year(self) -> Self:
        check_in_year(self.evaluated_on, self.year, "evaluated_on")
        return self


class RecordEvaluationOutcome(Contract):
    """Record the official outcome of an evaluation: passed, not passed, or a title awarded."""

    evaluation_id: UUID = Field(description="The evaluation decided on.")
    outcome: EvaluationOutcome = Field(description="The official outcome.")
    title: Title | None = Field(None, description="Title awarded; only with title_awarded.")
    decided_on: date = Field(description="Date of the decision.")
    decided_by: Name = Field(description="Who decided, e.g. 陕西省人民政府教育督导室.")

    @model_validator(mode="after")
    def _title_with_award(self) -> Self:
        if (self.title is None) == (self.outcome is EvaluationOutcome.TITLE_AWARDED):
            raise RuleBroken("title is given with title_awarded, and only then")
        return self


# The county's plan (stream `plan:<county>`)


class AdoptCountyPlan(Contract):
    """Adopt a county's plan, or revise it from a date: reports judged on days before
    `effective_from` keep the plan in force then."""

    county: CountyCode
    effective_from: date = Field(description="First day the plan (or this revision) applies.")
    plan: CountyPlan = Field(description="The plan document (README.md, 'Counties').")

    @model_validator(mode="after")
    def _same_county(self) -> Self:
        if self.plan.county.code != self.county:
            raise RuleBroken(
                "the plan is of county {plan_county}, not {county}",
                plan_county=Named(context="county", id=self.plan.county.code),
                county=Named(context="county", id=self.county),
            )
        return self
