"""What each indicator divides by enrolment: its resource field and its unit of students.

The eight of basic balance (2012 method) come first, in DOMAIN.md's order; quality balance
(2017 method) has seven per-school standards, three of them shared with the eight.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from contracts.evaluation.types import Indicator, SchoolStatistics


@dataclass(frozen=True)
class Definition:
    indicator: Indicator
    resource: str  # field of SchoolStatistics
    per: int  # 100 for "per 100 students"

    def of(self, statistics: SchoolStatistics) -> Decimal | int:
        resource: Decimal | int = getattr(statistics, self.resource)
        return resource


DEFINITIONS: tuple[Definition, ...] = (
    Definition(Indicator.FLOOR_AREA_PER_STUDENT, "teaching_floor_area", 1),
    Definition(Indicator.SPORTS_AREA_PER_STUDENT, "sports_area", 1),
    Definition(Indicator.EQUIPMENT_VALUE_PER_STUDENT, "equipment_value", 1),
    Definition(Indicator.COMPUTERS_PER_100_STUDENTS, "computers", 100),
    Definition(Indicator.BOOKS_PER_STUDENT, "books", 1),
    Definition(Indicator.TEACHERS_PER_STUDENT, "teachers", 1),
    Definition(Indicator.QUALIFIED_TEACHERS_PER_STUDENT, "teachers_above_qualification", 1),
    Definition(Indicator.TITLED_TEACHERS_PER_STUDENT, "titled_teachers", 1),
    Definition(Indicator.QUALIFIED_TEACHERS_PER_100_STUDENTS, "teachers_above_qualification", 100),
    Definition(Indicator.BACKBONE_TEACHERS_PER_100_STUDENTS, "backbone_teachers", 100),
    Definition(Indicator.PE_ART_TEACHERS_PER_100_STUDENTS, "pe_art_teachers", 100),
    Definition(Indicator.MULTIMEDIA_CLASSROOMS_PER_100_STUDENTS, "multimedia_classrooms", 100),
)
BASIC_BALANCE: tuple[Indicator, ...] = tuple(d.indicator for d in DEFINITIONS[:8])
QUALITY_STANDARDS: tuple[Indicator, ...] = (
    Indicator.QUALIFIED_TEACHERS_PER_100_STUDENTS,
    Indicator.BACKBONE_TEACHERS_PER_100_STUDENTS,
    Indicator.PE_ART_TEACHERS_PER_100_STUDENTS,
    Indicator.FLOOR_AREA_PER_STUDENT,
    Indicator.SPORTS_AREA_PER_STUDENT,
    Indicator.EQUIPMENT_VALUE_PER_STUDENT,
    Indicator.MULTIMEDIA_CLASSROOMS_PER_100_STUDENTS,
)
