"""Readable test data: roster lines, commands and students with unique ids."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from contracts.assistance.commands import RegisterStudent
from contracts.files.sample_roster import registry_id
from contracts.types import Stage, StudentPersonal

_serial = itertools.count(1)


def new_registry_id(county: str = "610831", birth: date = date(2010, 3, 1)) -> str:
    return registry_id(county, birth, next(_serial))


def register_student(
    stage: Stage | str = Stage.PRIMARY,
    grade: int = 2,
    boarding: bool = True,
    county: str = "610831",
    school: str = "子洲县实验小学",
    registry: str | None = None,
    **personal: Any,
) -> RegisterStudent:
    return RegisterStudent(
        county=county,
        school=school,
        stage=Stage(stage),
        grade=grade,
        boarding=boarding,
        personal=StudentPersonal(
            student_registry_id=registry or new_registry_id(county),
            name=personal.get("name", "张小明"),
            gender=personal.get("gender", "male"),
            birth_date=personal.get("birth_date", date(2010, 3, 1)),
            household_id=personal.get("household_id", "61083100012345"),
        ),
    )
