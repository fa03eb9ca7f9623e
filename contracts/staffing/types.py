"""Value types of the teacher-staffing contracts: subjects, schools, people, targets."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from contracts.rules import RuleBroken, stage_named
from contracts.sentence import Named
from contracts.staffing.terms import term_index
from contracts.types import Contract, Stage, Term

SubjectId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="Subject in English snake_case, e.g. mathematics; the county's targets "
        "list the subjects it knows.",
    ),
]
SchoolId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{1,59}$",
        description="Host-school identifier from the county's targets, e.g. zizhou_high_school.",
    ),
]
SchoolName = Annotated[
    str, Field(min_length=1, max_length=200, description="School name as written, e.g. 子洲中学.")
]
TeacherId = Annotated[
    UUID,
    Field(
        description="Id the caller gives a master teacher (a UUID, never the national teacher "
        "number, which is personal data); names their calendar stream."
    ),
]
PersonId = Annotated[
    UUID, Field(description="Id the caller gives the person; the same id and data is no change.")
]
RecordId = Annotated[
    UUID, Field(description="Id the client gives the record; the same id and data is no change.")
]
Text = Annotated[str, Field(min_length=1, max_length=500, description="Free text.")]
Hours = Annotated[
    Decimal,
    Field(
        gt=0,
        le=12,
        max_digits=3,
        decimal_places=1,
        description="Hours, above 0 and at most 12, one decimal (a string in JSON).",
    ),
]
SchoolYear = Annotated[
    int,
    Field(
        ge=2000,
        le=2100,
        description="School year named by the year it starts: 2017 = 2017-autumn + 2018-spring.",
    ),
]
TeacherCount = Annotated[int, Field(ge=0, le=10, description="Master teachers.")]

LESSON_STAGES = (Stage.PRESCHOOL, Stage.PRIMARY, Stage.JUNIOR, Stage.HIGH_SCHOOL, Stage.VOCATIONAL)


def _basic_education(stage: Stage) -> Stage:
    if stage not in LESSON_STAGES:
        raise RuleBroken(
            "model lessons are given in basic education: {stages}",
            stages=[stage_named(s) for s in LESSON_STAGES],
        )
    return stage


LessonStage = Annotated[
    Stage,
    AfterValidator(_basic_education),
    Field(description="preschool, primary, junior, high_school or vocational."),
]


class Season(StrEnum):
    SPRING = "spring"
    AUTUMN = "autumn"


class Audience(StrEnum):
    """Whom an order-based (demand-driven) training is for."""

    TEACHING_RESEARCHER = "teaching_researcher"  # 教研员
    SCHOOL_INSPECTOR = "school_inspector"  # 督学


class PersonPersonal(Contract):
    """Personal data of a teacher, trainee or graduate, kept apart so it can be shredded."""

    name: str = Field(min_length=1, max_length=100, description="Full name.")


class TrainersPersonal(Contract):
    """Names of the experts who gave a training, kept apart so they can be shredded."""

    names: list[str] = Field(
        min_length=1, max_length=50, description="Full names of the trainers, at least one."
    )


class ModelLessons(Contract):
    """How many model lessons one visiting master teacher gave in one stage and subject."""

    stage: LessonStage
    subject: SubjectId
    lessons: int = Field(ge=1, le=100, description="Model lessons given.")


class Range(Contract):
    """A target given as a range, both ends included."""

    min: int = Field(ge=0, le=1000, description="Lowest value on target.")
    max: int = Field(ge=1, le=1000, description="Highest value on target.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise RuleBroken("min {min} is above max {max}", min=self.min, max=self.max)
        return self


class HostSchoolTarget(Contract):
    """A school that hosts master teachers, and how many each subject should have."""

    id: SchoolId
    name: SchoolName
    teachers_per_subject: Range = Field(
        description="Master teachers per subject at one time, e.g. 1-2; above max is refused."
    )


class CountyTargets(Contract):
    """A county's staffing targets (plan tasks 2.1-2.3), as kept in the service's targets file."""

    name: str = Field(min_length=1, max_length=100, description="County name.")
    plan_start_term: Term
    plan_end_term: Term
    baseline_master_teachers: int = Field(
        ge=0, le=1000, description="Master teachers already in place when the plan starts."
    )
    subjects: list[SubjectId] = Field(
        min_length=1, description="Main high-school subjects to staff, in report order."
    )
    host_schools: list[HostSchoolTarget] = Field(
        min_length=1, description="Schools that host master teachers."
    )
    new_master_teachers_per_year: Range = Field(
        description="Master teachers to dispatch each school year from the plan start."
    )
    caravan_seasons: list[Season] = Field(
        min_length=1, description="Seasons in which a caravan teaching visit is due each year."
    )
    normal_graduates_per_year: int = Field(
        ge=0, le=10_000, description="Normal-university graduates to place each school year."
    )
    tuition_free_graduates_per_year: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description="Tuition-free normal graduates to recruit; none: no target.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if term_index(self.plan_end_term) < term_index(self.plan_start_term):
            raise RuleBroken("plan_end_term is before plan_start_term")
        for name, items in (
            ("subjects", self.subjects),
            ("host school ids", [s.id for s in self.host_schools]),
            ("caravan_seasons", self.caravan_seasons),
        ):
            if len(set(items)) != len(items):
                raise RuleBroken("{name} repeat", name=Named(context="field_path", id=name))
        return self

    def host_school(self, school: str) -> HostSchoolTarget | None:
        return next((s for s in self.host_schools if s.id == school), None)
