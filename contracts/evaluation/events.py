"""Events the evaluation service publishes on `events.evaluation.<county>.<stream>.<type>`.

Every event carries its county (and year where there is one), so read models need nothing else.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from contracts.evaluation.plan import CountyPlan
from contracts.evaluation.types import (
    ActivityKind,
    BalanceThresholds,
    CompulsoryStage,
    Count,
    EvaluationOutcome,
    EvaluationScope,
    EvaluatorKind,
    ExpertsPersonal,
    Figure,
    FundingSource,
    GuidanceInstitution,
    Indicator,
    Limit,
    LocalId,
    Milestone,
    Name,
    Rate,
    RateId,
    SchoolStatistics,
    Score,
    Title,
    Topic,
    UniversalThresholds,
    Year,
)
from contracts.types import Amount, Contract, CountyCode, Department

# Teaching-research guidance (stream `guidance:<county>:<year>`)


class GuidancePlanAdopted(Contract):
    """The institutions to visit in a year and the visits each should get; replaces any earlier
    plan of the year."""

    county: CountyCode
    year: Year
    institutions: list[GuidanceInstitution] = Field(description="Institutions to visit.")
    visits_min: int = Field(ge=0, description="Fewest visits per institution a year.")
    visits_max: int = Field(ge=1, description="Most visits per institution a year.")


class ResearchVisitPlanned(Contract):
    """An expert research visit was planned."""

    visit_id: UUID = Field(description="Id of the visit.")
    county: CountyCode
    year: Year
    institution: LocalId
    planned_on: date = Field(description="Planned date.")
    topics: list[Topic] = Field(description="What the experts will work on.")
    personal: ExpertsPersonal = Field(description="The experts, shredded per person.")


class ResearchVisitHeld(Contract):
    """An expert research visit took place."""

    visit_id: UUID = Field(description="Id of the visit.")
    county: CountyCode
    year: Year
    institution: LocalId
    held_on: date = Field(description="Date of the visit.")
    was_planned: bool = Field(description="Whether the visit had been planned beforehand.")
    topics: list[Topic] = Field(description="What the experts worked on.")
    expert_count: int = Field(ge=1, description="How many experts came.")
    findings: str = Field(description="What the experts found and advised.")
    personal: ExpertsPersonal = Field(description="The experts, shredded per person.")


class ResearchVisitCancelled(Contract):
    """A planned visit was called off."""

    visit_id: UUID = Field(description="Id of the visit.")
    county: CountyCode
    year: Year
    institution: LocalId
    reason: str = Field(description="Why.")


class ResearchVisitExpertsErased(Contract):
    """The experts' names a research visit held were erased: its data key is destroyed; the
    visit and its figures (the count of experts) stay."""

    visit_id: UUID = Field(description="Id of the visit.")
    county: CountyCode
    year: Year
    key_id: str = Field(description="Data key destroyed: record:<visit_id>.")
    reason: str = Field(description="Why, as the request gave it.")
    requested_by: Department = Field(description="Department that asked for the erasure.")


# School statistics and balanced development (stream `census:<county>:<year>:<stage>`)


class CensusSchoolRegistered(Contract):
    """A school is on the list whose statistics the year's assessment needs."""

    county: CountyCode
    year: Year
    stage: CompulsoryStage = Field(description="Stage of the census.")
    school: LocalId
    name: Name


class CensusSchoolDeregistered(Contract):
    """A school was taken off the list; its statistics no longer count."""

    county: CountyCode
    year: Year
    stage: CompulsoryStage = Field(description="Stage of the census.")
    school: LocalId
    reason: str = Field(description="Why.")


class SchoolStatisticsSubmitted(Contract):
    """A school's first statistics of the year (revision 1)."""

    county: CountyCode
    year: Year
    stage: CompulsoryStage = Field(description="Stage of the census.")
    school: LocalId
    revision: int = Field(ge=1, le=1, description="Always 1: corrections count on from here.")
    statistics: SchoolStatistics = Field(description="The school's figures.")


class SchoolStatisticsCorrected(Contract):
    """A school's statistics were replaced by corrected ones; the earlier ones stay on record."""

    county: CountyCode
    year: Year
    stage: CompulsoryStage = Field(description="Stage of the census.")
    school: LocalId
    revision: int = Field(ge=2, description="2 for the first correction, and so on.")
    statistics: SchoolStatistics = Field(description="The school's corrected figures, in full.")
    reason: str = Field(description="Why they were corrected.")


class AssessedSchool(Contract):
    """A school as the assessment used it: its raw figures and its enrolment weight."""

    school: LocalId
    name: Name
    revision: int = Field(ge=1, description="Revision of the school's statistics used.")
    weight: Figure = Field(description="P_i / P: the school's share of the stage's enrolment.")
    statistics: SchoolStatistics = Field(description="The figures used.")


class IndicatorCoefficient(Contract):
    """One indicator's enrolment-weighted difference coefficient with every intermediate figure:
    x_i = X_i / P_i (× per), x̄ = ΣX / ΣP (× per), S = sqrt(Σ (P_i/P)(x_i − x̄)²), CV = S / x̄."""

    indicator: Indicator = Field(description="Which indicator.")
    per: int = Field(description="Students per unit of the indicator: 1 or 100.")
    school_values: dict[LocalId, Figure] = Field(description="x_i of each school.")
    county_value: Figure = Field(description="x̄: the county value, total over total.")
    standard_deviation: Figure = Field(description="S: enrolment-weighted deviation from x̄.")
    coefficient: Figure = Field(description="CV = S / x̄ (0 when x̄ is 0: all schools equal).")
    in_composite: bool = Field(description="One of the eight indicators of basic balance.")
    quality_max: Limit | None = Field(
        description="Highest coefficient quality balance allows; none if not a quality indicator "
        "or no quality thresholds apply."
    )
    within_quality_max: bool | None = Field(description="CV ≤ quality_max, when there is one.")


class StandardCheck(Contract):
    """One school against one quality-balance standard."""

    indicator: Indicator = Field(description="Which standard.")
    value: Figure = Field(description="The school's value x_i.")
    standard: Limit = Field(description="The standard for the stage.")
    share: Figure = Field(description="value / standard.")
    met: bool = Field(description="value ≥ standard.")


class SchoolStandards(Contract):
    """One school against all quality-balance standards."""

    school: LocalId
    checks: list[StandardCheck] = Field(description="One check per standard.")
    met_count: int = Field(ge=0, description="Standards met.")
    passed: bool = Field(
        description="Met at least the required number and reached the minimum share on the rest."
    )


class QualityBalanceResult(Contract):
    """Quality balance (2017 method): every school passes its standards and every quality
    indicator's coefficient is within the limit."""

    schools: list[SchoolStandards] = Field(description="Each school's standards.")
    schools_passed: int = Field(ge=0, description="Schools that passed their standards.")
    all_schools_pass: bool = Field(description="Every school passed its standards.")
    all_coefficients_within: bool = Field(description="Every quality indicator's CV is in limit.")
    met: bool = Field(description="Both of the above.")


class BalancedDevelopmentAssessed(Contract):
    """A county's balance of compulsory education for one year and stage, with every figure an
    auditor needs to recompute it. Figures are rounded half-even to 6 decimal places; every
    verdict was taken on the unrounded values."""

    county: CountyCode
    year: Year
    stage: CompulsoryStage = Field(description="Stage assessed.")
    assessment: int = Field(ge=1, description="1 for the first assessment of the stage-year.")
    thresholds: BalanceThresholds = Field(description="The thresholds used.")
    schools: list[AssessedSchool] = Field(description="Every registered school, in id order.")
    indicators: list[IndicatorCoefficient] = Field(description="Every indicator's coefficient.")
    composite: Figure = Field(description="Mean of the eight basic-balance coefficients.")
    basic_balance_met: bool = Field(
        description="Composite ≤ composite_max: the coefficient criterion of basic balance (the "
        "government's score and public satisfaction are judged by supervisory evaluation)."
    )
    quality_balance: QualityBalanceResult | None = Field(
        description="Quality balance, when the thresholds in force define it."
    )


# Double-high double-universal (stream `dhdu:<county>:<year>`)


class UniversalEducationFiguresRecorded(Contract):
    """The county's rates for the year; a later revision supersedes earlier ones."""

    county: CountyCode
    year: Year
    revision: int = Field(ge=1, description="1 for the first record of the year, and so on.")
    rates: dict[RateId, Rate] = Field(description="Rates in percent by figure id.")
    source: str = Field(description="Where the figures come from.")


class RateCheck(Contract):
    rate: RateId
    value: Rate = Field(description="The county's rate.")
    minimum: Rate = Field(description="The lowest acceptable rate.")
    met: bool = Field(description="value ≥ minimum.")


class DualHighDualUniversalAssessed(Contract):
    """The county's latest figures of the year checked against the thresholds in force."""

    county: CountyCode
    year: Year
    assessment: int = Field(ge=1, description="1 for the first assessment of the year.")
    figures_revision: int = Field(ge=1, description="Revision of the figures used.")
    thresholds: UniversalThresholds = Field(description="The thresholds used.")
    checks: list[RateCheck] = Field(description="One check per rate with a minimum.")
    met: bool = Field(description="Every check met.")


# High-school development (streams `hs-project:<id>`, `hs-activity:<id>`)


class HighSchoolProjectProposed(Contract):
    """A construction project for a county high school was proposed."""

    project_id: UUID = Field(description="Id of the project.")
    county: CountyCode
    school: LocalId
    name: Name
    funding_source: FundingSource = Field(description="Programme or budget asked to fund it.")
    amount: Amount = Field(description="Yuan asked for.")
    proposed_on: date = Field(description="Date of the proposal.")


class HighSchoolProjectAdvanced(Contract):
    """A project reached its next milestone."""

    project_id: UUID = Field(description="Id of the project.")
    county: CountyCode
    school: LocalId
    milestone: Milestone = Field(description="Milestone reached.")
    reached_on: date = Field(description="Date it was reached.")
    funded_amount: Amount | None = Field(description="Yuan granted, with the funded milestone.")
    note: str = Field(description="Decision number, remarks.")


class QualityImprovementActivityRecorded(Contract):
    """Experts held an activity to improve a high school's teaching quality."""

    activity_id: UUID = Field(description="Id of the activity.")
    county: CountyCode
    year: Year = Field(description="Year of held_on.")
    school: LocalId
    held_on: date = Field(description="Date of the activity.")
    kind: ActivityKind = Field(description="What kind of activity.")
    participants: Count = Field(description="Local teachers and managers who took part.")
    expert_count: int = Field(ge=1, description="How many experts led it.")
    summary: str = Field(description="What was done.")
    personal: ExpertsPersonal = Field(description="The experts, shredded per person.")


class QualityActivityExpertsErased(Contract):
    """The experts' names a quality-improvement activity held were erased: its data key is
    destroyed; the activity and its figures stay."""

    activity_id: UUID = Field(description="Id of the activity.")
    county: CountyCode
    key_id: str = Field(description="Data key destroyed: record:<activity_id>.")
    reason: str = Field(description="Why, as the request gave it.")
    requested_by: Department = Field(description="Department that asked for the erasure.")


# Supervisory and third-party evaluation (stream `evaluation:<id>`)


class SupervisoryEvaluationRecorded(Contract):
    """The supervision office or a third party evaluated the county."""

    evaluation_id: UUID = Field(description="Id of the evaluation.")
    county: CountyCode
    year: Year
    body: Name = Field(description="Who evaluated.")
    body_kind: EvaluatorKind = Field(description="Supervision office or third party.")
    scope: EvaluationScope = Field(description="What was evaluated.")
    evaluated_on: date = Field(description="Date of the evaluation or its report.")
    score: Score | None = Field(description="Score out of 100, when given.")
    findings: str = Field(description="Findings and recommendations.")


class EvaluationOutcomeRecorded(Contract):
    """The official outcome of an evaluation."""

    evaluation_id: UUID = Field(description="The evaluation decided on.")
    county: CountyCode
    year: Year
    scope: EvaluationScope = Field(description="What was evaluated.")
    outcome: EvaluationOutcome = Field(description="The official outcome.")
    title: Title | None = Field(description="Title awarded, with title_awarded.")
    decided_on: date = Field(description="Date of the decision.")
    decided_by: Name = Field(description="Who decided.")


# The county's plan (stream `plan:<county>`)


class CountyPlanAdopted(Contract):
    """A county's plan, or a revision of it, applies from `effective_from`."""

    county: CountyCode
    revision: int = Field(ge=1, description="1 for the first adoption, then one more each time.")
    effective_from: date = Field(description="First day this revision applies.")
    plan: CountyPlan = Field(description="The plan document.")
