"""Value types of the evaluation service's contracts: years, ids, figures, stages, statistics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from contracts.rules import RuleBroken
from contracts.sentence import Named
from contracts.types import Amount, Contract

Year = Annotated[int, Field(ge=2000, le=2100, description="Calendar year, e.g. 2017.")]
LocalId = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Stable id within a county: lower-case letters, digits, _ and -, "
        "e.g. zizhou_high_school or a national school code.",
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=200, description="Name as people write it.")]
Area = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, description="Square metres (a string in JSON)."),
]
Count = Annotated[int, Field(ge=0, le=10_000_000, description="A count of things or people.")]
Rate = Annotated[
    Decimal,
    Field(
        ge=0,
        le=200,
        max_digits=5,
        decimal_places=2,
        description="Percent, at most two decimals; gross rates may exceed 100.",
    ),
]
Figure = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=24,
        decimal_places=6,
        description="A computed figure rounded half-even to 6 decimal places (a string in JSON).",
    ),
]
Limit = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=4, description="A threshold from the data files."),
]
Score = Annotated[
    Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, description="Score out of 100.")
]
Experts = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(min_length=1, max_length=50, description="Experts' full names, one per person."),
]
Topic = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="Topic id: entrance_exam_quality_analysis, efficient_classroom_reform, "
        "student_growth_records, or another of the county's own.",
    ),
]


class CompulsoryStage(StrEnum):
    """The two stages of compulsory education whose balance is measured separately."""

    PRIMARY = "primary"
    JUNIOR = "junior"


class GuidanceInstitution(Contract):
    """An institution that expert research visits go to."""

    institution: LocalId
    name: Name


class SchoolStatistics(Contract):
    """One school's figures of one stage from the annual statistics census.

    A nine-year school reports its primary and its junior part in the two stages' censuses.
    """

    enrolment: int = Field(ge=1, le=100_000, description="Students enrolled (P_i).")
    teaching_floor_area: Area = Field(description="Teaching and auxiliary rooms, m².")
    sports_area: Area = Field(description="Sports ground area, m².")
    equipment_value: Amount = Field(description="Teaching equipment value, yuan.")
    computers: Count = Field(description="Computers for teaching.")
    books: Count = Field(description="Library books (volumes).")
    teachers: Count = Field(description="Full-time teachers.")
    teachers_above_qualification: Count = Field(
        description="Teachers with a degree above the one required for the stage."
    )
    titled_teachers: Count = Field(
        description="Teachers with an intermediate or senior professional title."
    )
    backbone_teachers: Count = Field(description="Backbone teachers of county level or above.")
    pe_art_teachers: Count = Field(description="Full-time PE, music and art teachers.")
    multimedia_classrooms: Count = Field(description="Networked multimedia classrooms.")

    @model_validator(mode="after")
    def _teachers_are_a_subset(self) -> Self:
        for name in (
            "teachers_above_qualification",
            "titled_teachers",
            "backbone_teachers",
            "pe_art_teachers",
        ):
            if getattr(self, name) > self.teachers:
                raise RuleBroken(
                    "{name} ({value}) exceeds teachers ({teachers})",
                    name=Named(context="field_path", id=name),
                    value=getattr(self, name),
                    teachers=self.teachers,
                )
        return self


class ExpertsPersonal(Contract):
    """Names of the experts, kept apart so they can be encrypted and shredded per person."""

    experts: Experts


def check_in_year(day: date, year: int, what: str) -> date:
    if day.year != year:
        raise RuleBroken(
            "{what} {day} is not in {year}",
            what=Named(context="field_path", id=what),
            day=Named(context="date", id=day.isoformat()),
            year=str(year),
        )
    return day


class Indicator(StrEnum):
    """Indicators whose difference coefficient is measured: the eight of basic balance, then
    the ones only quality balance adds (its seven standards reuse three of the eight)."""

    FLOOR_AREA_PER_STUDENT = "floor_area_per_student"
    SPORTS_AREA_PER_STUDENT = "sports_area_per_student"
    EQUIPMENT_VALUE_PER_STUDENT = "equipment_value_per_student"
    COMPUTERS_PER_100_STUDENTS = "computers_per_100_students"
    BOOKS_PER_STUDENT = "books_per_student"
    TEACHERS_PER_STUDENT = "teachers_per_student"
    QUALIFIED_TEACHERS_PER_STUDENT = "qualified_teachers_per_student"
    TITLED_TEACHERS_PER_STUDENT = "titled_teachers_per_student"
    QUALIFIED_TEACHERS_PER_100_STUDENTS = "qualified_teachers_per_100_students"
    BACKBONE_TEACHERS_PER_100_STUDENTS = "backbone_teachers_per_100_students"
    PE_ART_TEACHERS_PER_100_STUDENTS = "pe_art_teachers_per_100_students"
    MULTIMEDIA_CLASSROOMS_PER_100_STUDENTS = "multimedia_classrooms_per_100_students"


RateId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="Figure id, e.g. preschool_three_year_gross_enrolment, "
        "senior_secondary_gross_enrolment, nine_year_retention.",
    ),
]


class QualityThresholds(Contract):
    """Quality balance (2017 method): per-school standards and per-indicator coefficients."""

    coefficient_max: Limit = Field(description="Highest coefficient allowed for every indicator.")
    standards_required: int = Field(ge=0, le=7, description="Standards each school must meet.")
    missed_standard_min_share: Limit = Field(
        le=1, description="Share of a standard a school must reach on any standard it misses."
    )
    standards: dict[Indicator, Limit] = Field(
        min_length=1, description="Per-school standard of each quality indicator."
    )


class BalanceThresholds(Contract):
    """The thresholds of one stage in force for a year, as read from the thresholds file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Id of the threshold set.")
    applies_from: Year = Field(description="First year the set applies to.")
    stage: CompulsoryStage = Field(description="Stage the limits are for.")
    composite_max: Limit = Field(description="Highest composite coefficient of basic balance.")
    quality: QualityThresholds | None = Field(
        description="Quality-balance thresholds; none before the 2017 method applied."
    )


class UniversalThresholds(Contract):
    """Double-high double-universal minimum rates in force for a year."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Id of the threshold set.")
    applies_from: Year = Field(description="First year the set applies to.")
    minimum_rates: dict[RateId, Rate] = Field(
        min_length=1, description="Lowest acceptable value of each named rate, percent."
    )


class FundingSource(StrEnum):
    """Who is asked to fund a high-school project (the plan names central and provincial
    high-school programmes and pooled investment)."""

    CENTRAL_PROGRAMME = "central_high_school_programme"
    PROVINCIAL_PROGRAMME = "provincial_high_school_programme"
    CITY = "city_budget"
    COUNTY = "county_budget"
    POOLED = "pooled_investment"
    OTHER = "other"


class Milestone(StrEnum):
    """A project's milestones, in the only order they can be reached."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    FUNDED = "funded"
    STARTED = "started"
    COMPLETED = "completed"


class ActivityKind(StrEnum):
    """Kinds of expert activity that improve a high school's teaching quality."""

    EXPERT_LECTURE = "expert_lecture"
    MODEL_LESSON = "model_lesson"
    CLASSROOM_DIAGNOSIS = "classroom_diagnosis"
    EXAM_QUALITY_ANALYSIS = "exam_quality_analysis"
    TEACHER_TRAINING = "teacher_training"
    OTHER = "other"


class EvaluatorKind(StrEnum):
    """Who evaluates: the supervision office itself or a third party it brings in."""

    SUPERVISION_OFFICE = "supervision_office"
    THIRD_PARTY = "third_party"


class EvaluationScope(StrEnum):
    """What an evaluation judges; a title can only come from its own scope."""

    BALANCED_DEVELOPMENT = "balanced_development"
    QUALITY_BALANCE = "quality_balance"
    DUAL_HIGH_DUAL_UNIVERSAL = "dual_high_dual_universal"
    HIGH_SCHOOL = "high_school"
    TEACHING_RESEARCH = "teaching_research"
    PLAN_PROGRESS = "plan_progress"


class EvaluationOutcome(StrEnum):
    """The official outcome of an evaluation."""

    PASSED = "passed"
    NOT_PASSED = "not_passed"
    TITLE_AWARDED = "title_awarded"


class Title(StrEnum):
    """County titles of the plan's goals (DOMAIN.md, "Overall goals")."""

    BASIC_BALANCED_COUNTY = "basic_balanced_compulsory_education_county"
    QUALITY_BALANCED_COUNTY = "quality_balanced_compulsory_education_county"
    DUAL_HIGH_DUAL_UNIVERSAL_COUNTY = "dual_high_dual_universal_county"
    EDUCATION_MODERNIZATION_COUNTY = "education_modernization_county"
