"""Value types shared by every contract: codes, terms, stages and money."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from contracts.rules import RuleBroken, stage_named

CountyCode = Annotated[
    str, Field(pattern=r"^\d{6}$", description="Six-digit administrative code, e.g. 610831.")
]
Department = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Responsible unit identifier from the plan, e.g. aid_center.",
    ),
]
RegistryId = Annotated[
    str,
    Field(
        pattern=r"^[GJL]?\d{17}[\dX]$",
        description="National student registry number: optional G/J/L prefix, 17 digits and a "
        "check character (digit or X).",
    ),
]

_TERM = re.compile(r"^(\d{4})-(spring|autumn)$")


def _check_term(value: str) -> str:
    match = _TERM.match(value)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise RuleBroken("a term looks like 2017-autumn or 2018-spring")
    return value


Term = Annotated[
    str,
    AfterValidator(_check_term),
    Field(description="School term: YEAR-autumn starts a school year, YEAR-spring ends it."),
]

Amount = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="Yuan, non-negative, at most two decimals (a string in JSON).",
    ),
]


def open_enum(description: str) -> FieldInfo:
    """A field whose values may grow within a schema version: readers accept unknown ones.

    Type the field `SomeEnum | str`: a known value reads as the enum member, an unknown one as
    the plain string. The schema says so (`x-open-enum`), and the compatibility check lets such
    a field gain values without a new version; a plain enum field is closed.
    """
    field: FieldInfo = Field(
        union_mode="left_to_right", json_schema_extra={"x-open-enum": True}, description=description
    )
    return field


class Stage(StrEnum):
    """Education stages of the one-stop aid chain, preschool to university."""

    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR = "junior"
    HIGH_SCHOOL = "high_school"
    VOCATIONAL = "vocational"
    UNDERGRADUATE = "undergraduate"
    JUNIOR_COLLEGE = "junior_college"


GRADES: dict[Stage, int] = {
    Stage.PRESCHOOL: 3,
    Stage.PRIMARY: 6,
    Stage.JUNIOR: 3,
    Stage.HIGH_SCHOOL: 3,
    Stage.VOCATIONAL: 3,
    Stage.UNDERGRADUATE: 5,
    Stage.JUNIOR_COLLEGE: 3,
}
"""Highest grade of each stage (five-year undergraduate programmes exist, e.g. medicine)."""


PROGRAMME_YEARS: dict[Stage, tuple[int, int, int]] = {
    Stage.UNDERGRADUATE: (4, 4, 5),
    Stage.JUNIOR_COLLEGE: (3, 2, 3),
}
"""University stages: (default, shortest, longest) programme length in years. A bachelor
programme lasts 4 years unless it is a five-year one (medicine); junior college 3."""


def check_programme_years(stage: Stage, years: int | None) -> None:
    if years is None:
        return
    if stage not in PROGRAMME_YEARS:
        raise RuleBroken(
            "programme_years is for university stages only, not {stage}",
            stage=stage_named(stage),
        )
    _, shortest, longest = PROGRAMME_YEARS[stage]
    if not shortest <= years <= longest:
        raise RuleBroken(
            "programme_years of {stage} is {shortest}-{longest}, not {years}",
            stage=stage_named(stage),
            shortest=shortest,
            longest=longest,
            years=years,
        )


def last_grade(stage: Stage, programme_years: int | None) -> int:
    """The last grade a student of `stage` reaches: their programme's length at university."""
    if stage in PROGRAMME_YEARS:
        return programme_years or PROGRAMME_YEARS[stage][0]
    return GRADES[stage]


def check_grade(stage: Stage, grade: int) -> None:
    if not 1 <= grade <= GRADES[stage]:
        raise RuleBroken(
            "{stage} has grades 1-{most} only", stage=stage_named(stage), most=GRADES[stage]
        )


class Contract(BaseModel):
    """Base of every command and event payload: immutable and closed to unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class StudentPersonal(Contract):
    """Personal data of a student, kept apart so it can be encrypted and shredded per person."""

    student_registry_id: RegistryId
    name: str = Field(min_length=1, max_length=100, description="Full name as on the roster.")
    gender: str = Field(pattern=r"^(male|female)$", description="male or female.")
    birth_date: date = Field(description="Date of birth.")
    household_id: str = Field(
        min_length=1, max_length=40, description="Registered-poor household number."
    )
