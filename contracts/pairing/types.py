"""Value types of the school-pairing contracts: schools, stages, subjects, periods, people."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from contracts.rules import RuleBroken
from contracts.types import Contract, CountyCode, Stage

SchoolId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{1,59}$",
        description="Short stable school identifier chosen by the county, e.g. zizhou_high_school.",
    ),
]
SchoolName = Annotated[
    str, Field(min_length=1, max_length=100, description="School name as written in the plan.")
]
RecordId = Annotated[
    UUID,
    Field(description="Id the client gives the record; the same id and data again is no change."),
]
Text = Annotated[str, Field(min_length=1, max_length=2000, description="Free text.")]
Identifier = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]{0,59}$", description="snake_case identifier.")
]
Months = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=6,
        decimal_places=2,
        description="Calendar months, two decimals (a string in JSON): 2017-10-09 to "
        "2017-12-08 is 2.00.",
    ),
]

PAIRED_STAGES = (Stage.PRESCHOOL, Stage.PRIMARY, Stage.JUNIOR, Stage.HIGH_SCHOOL)


def _paired(stage: Stage) -> Stage:
    if stage not in PAIRED_STAGES:
        raise RuleBroken(
            "schools are paired for preschool (kindergarten), primary, junior (middle school) "
            "or high_school"
        )
    return stage


PairedStage = Annotated[
    Stage,
    AfterValidator(_paired),
    Field(description="preschool (kindergarten), primary, junior (middle school) or high_school."),
]


class Direction(StrEnum):
    """Which way people go between the two schools of a pair."""

    HELPER_TO_HELPED = "helper_to_helped"
    HELPED_TO_HELPER = "helped_to_helper"


class Subject(StrEnum):
    """Subjects of model lessons, visits and resources; early_childhood covers kindergartens."""

    CHINESE = "chinese"
    MATHEMATICS = "mathematics"
    ENGLISH = "english"
    PHYSICS = "physics"
    CHEMISTRY = "chemistry"
    BIOLOGY = "biology"
    POLITICS = "politics"
    HISTORY = "history"
    GEOGRAPHY = "geography"
    SCIENCE = "science"
    MORALITY_AND_LAW = "morality_and_law"
    INFORMATION_TECHNOLOGY = "information_technology"
    MUSIC = "music"
    FINE_ARTS = "fine_arts"
    PHYSICAL_EDUCATION = "physical_education"
    EARLY_CHILDHOOD = "early_childhood"


class LessonGiver(StrEnum):
    """Who gives a model lesson: the plan names provincial subject leaders and key teachers."""

    SUBJECT_LEADER = "subject_leader"
    KEY_TEACHER = "key_teacher"


class ResourceKind(StrEnum):
    COURSEWARE = "courseware"
    TEACHING_RESULT = "teaching_result"


class Milestone(StrEnum):
    """The four parts of a modern school system the helper school helps build (plan 3.4)."""

    RULE_OF_LAW_GOVERNANCE = "rule_of_law_governance"
    SELF_MANAGEMENT = "self_management"
    DEMOCRATIC_OVERSIGHT = "democratic_oversight"
    COMMUNITY_PARTICIPATION = "community_participation"


class AssessmentLevel(StrEnum):
    """Who awards the standardised-school title."""

    PROVINCE = "province"
    CITY = "city"


class PersonPersonal(Contract):
    """Personal data of a manager or teacher, kept apart so it can be shredded per person."""

    name: str = Field(min_length=1, max_length=100, description="Full name.")


class TeacherPairPersonal(Contract):
    """Names of the two teachers of a teacher-to-teacher pairing plan."""

    helper_teacher_name: str = Field(
        min_length=1, max_length=100, description="Teacher of the helper school."
    )
    helped_teacher_name: str = Field(
        min_length=1, max_length=100, description="Teacher of the helped (county) school."
    )


class _SchoolAddress(Contract):
    """A helped school; its stream holds its pairs and everything recorded through them."""

    county: CountyCode
    helped_school_id: SchoolId


class _PairAddress(_SchoolAddress):
    """The pair that helps a school at one stage (at most one is current per stage)."""

    stage: PairedStage


class _Period(Contract):
    """An agreed period, both days included."""

    start_date: date = Field(description="First day.")
    end_date: date = Field(description="Last day (inclusive), not before the first.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end_date < self.start_date:
            raise RuleBroken("end_date is before start_date")
        return self
