"""A synthetic roster with the pilot county's figures, for trials, tests and benchmarks.

The counts are the plan's (DOMAIN.md): 5,014 basic-education students (1,152 preschool,
2,758 compulsory boarders, 618 high school, 486 vocational) and 1,704 university students
(1,029 undergraduate over 4 grades, 675 junior college over 3). Names and ids are invented.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date

from contracts.files.roster import COLUMNS
from contracts.types import GRADES, Stage

PILOT_COUNTS: dict[Stage, int] = {
    Stage.PRESCHOOL: 1152,
    Stage.PRIMARY: 1838,
    Stage.JUNIOR: 920,
    Stage.HIGH_SCHOOL: 618,
    Stage.VOCATIONAL: 486,
    Stage.UNDERGRADUATE: 1029,
    Stage.JUNIOR_COLLEGE: 675,
}
"""Compulsory boarders (2,758) split about two to one between primary and junior grades."""

_GRADES_USED = {Stage.UNDERGRADUATE: 4}
_SCHOOLS = {
    Stage.PRESCHOOL: ["子洲县第一幼儿园", "子洲县第二幼儿园"],
    Stage.PRIMARY: ["子洲县实验小学", "子洲县大理河小学"],
    Stage.JUNIOR: ["子洲县第二中学", "子洲县实验中学"],
    Stage.HIGH_SCHOOL: ["子洲中学"],
    Stage.VOCATIONAL: ["子洲县职业教育中心"],
    Stage.UNDERGRADUATE: ["西北大学", "陕西师范大学", "延安大学"],
    Stage.JUNIOR_COLLEGE: ["榆林职业技术学院", "陕西工业职业技术学院"],
}
_START_AGE = {
    Stage.PRESCHOOL: 3,
    Stage.PRIMARY: 6,
    Stage.JUNIOR: 12,
    Stage.HIGH_SCHOOL: 15,
    Stage.VOCATIONAL: 15,
    Stage.UNDERGRADUATE: 18,
    Stage.JUNIOR_COLLEGE: 18,
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def registry_id(county: str, birth: date, serial: int) -> str:
    """A registry number shaped like a national id: G + 17 digits + ISO 7064 check."""
    body = f"{county}{birth:%Y%m%d}{serial % 1000:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return f"G{body}{check}"


def sample_rows(
    county: str = "610831",
    counts: dict[Stage, int] | None = None,
    seed: int = 2017,
    school_year: int = 2017,
) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    used: set[str] = set()
    serial = 0
    for stage, count in (counts or PILOT_COUNTS).items():
        grades = _GRADES_USED.get(stage, GRADES[stage])
        for i in range(count):
            grade = i % grades + 1
            age = _START_AGE[stage] + grade - 1
            birth = date(school_year - age, rng.randint(1, 12), rng.randint(1, 28))
            rid = ""
            while not rid or rid in used:
                serial += 1
                rid = registry_id(county, birth, serial)
            used.add(rid)
            rows.append(
                {
                    "student_registry_id": rid,
                    "name": rng.choice(_SURNAMES)
                    + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2))),
                    "gender": rng.choice(["male", "female"]),
                    "birth_date": birth.isoformat(),
                    "county_code": county,
                    "school": rng.choice(_SCHOOLS[stage]),
                    "stage": stage.value,
                    "grade": str(grade),
                    "boarding": "true" if stage in (Stage.PRIMARY, Stage.JUNIOR) else "false",
                    "household_id": f"{county}{rng.randint(0, 10**8 - 1):08d}",
                }
            )
    return rows


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
