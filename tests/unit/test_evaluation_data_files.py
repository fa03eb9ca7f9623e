"""The evaluation service's data: thresholds by year, permissions, and census files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from contracts.evaluation import COMMANDS
from contracts.evaluation.types import CompulsoryStage, Indicator
from contracts.files.statistics_census import (
    COLUMNS,
    REGISTER_COLUMNS,
    CensusFileError,
    parse_census,
)
from services.evaluation.app import thresholds_in_force
from services.evaluation.handlers import command_handlers, load_permissions
from services.evaluation.thresholds import ThresholdsError, load_thresholds
from tests.support.evaluation import THRESHOLDS

PLAN_UNITS = {
    "aid_center", "finance", "office", "teacher_division", "basic_ed_1", "basic_ed_2",
    "basic_ed_3", "party_committee", "student_division", "personnel", "policy_regulations",
    "education_science_institute", "supervision_office", "development",
}  # fmt: skip

# Thresholds


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2011, None),
        (2012, "basic-balance-2012"),
        (2016, "basic-balance-2012"),
        (2017, "quality-balance-2017"),
        (2030, "quality-balance-2017"),
    ],
)
def test_a_threshold_set_applies_from_its_year_until_a_later_one(
    year: int, expected: str | None
) -> None:
    found = THRESHOLDS.balance_for(year, CompulsoryStage.JUNIOR)

    assert (found.id if found else None) == expected


def test_the_default_limits_are_those_of_domain_md() -> None:
    primary = THRESHOLDS.balance_for(2017, CompulsoryStage.PRIMARY)
    junior = THRESHOLDS.balance_for(2017, CompulsoryStage.JUNIOR)
    assert primary
    assert primary.quality
    assert junior
    assert junior.quality

    assert (primary.composite_max, junior.composite_max) == (Decimal("0.65"), Decimal("0.55"))
    assert (primary.quality.coefficient_max, junior.quality.coefficient_max) == (
        Decimal("0.50"),
        Decimal("0.45"),
    )
    assert primary.quality.standards_required == 6
    assert primary.quality.missed_standard_min_share == Decimal("0.85")
    expected = {
        Indicator.QUALIFIED_TEACHERS_PER_100_STUDENTS: ("4.2", "5.3"),
        Indicator.BACKBONE_TEACHERS_PER_100_STUDENTS: ("1", "1"),
        Indicator.PE_ART_TEACHERS_PER_100_STUDENTS: ("0.9", "0.9"),
        Indicator.FLOOR_AREA_PER_STUDENT: ("4.5", "5.8"),
        Indicator.SPORTS_AREA_PER_STUDENT: ("7.5", "10.2"),
        Indicator.EQUIPMENT_VALUE_PER_STUDENT: ("2000", "2500"),
        Indicator.MULTIMEDIA_CLASSROOMS_PER_100_STUDENTS: ("2.3", "2.4"),
    }
    standards = primary.quality.standards, junior.quality.standards
    assert {i: (str(standards[0][i]), str(standards[1][i])) for i in expected} == expected
    universal = THRESHOLDS.universal_for(2017)
    assert universal is not None
    assert universal.minimum_rates == {
        "senior_secondary_gross_enrolment": Decimal("90"),
        "preschool_three_year_gross_enrolment": Decimal("85"),
    }
    assert THRESHOLDS.universal_for(2016) is None


def test_the_query_answers_the_thresholds_in_force_for_a_year() -> None:
    answer = thresholds_in_force(THRESHOLDS, 2016)

    assert [(b.id, b.stage) for b in answer.balance] == [
        ("basic-balance-2012", CompulsoryStage.PRIMARY),
        ("basic-balance-2012", CompulsoryStage.JUNIOR),
    ]
    assert answer.dual_high_dual_universal is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[[balance]\n", "not valid TOML"),
        (
            '[[balance]]\nid = "a"\napplies_from = 2017\ncomposite_max = { primary = "0.6" }\n',
            "composite_max has no limit for ['junior']",
        ),
        (
            '[[balance]]\nid = "a"\napplies_from = 2017\n'
            'composite_max = { primary = "0.6", junior = "0.5" }\n'
            '[[balance]]\nid = "b"\napplies_from = 2017\n'
            'composite_max = { primary = "0.6", junior = "0.5" }\n',
            "two sets share an id or an applies_from year",
        ),
        (
            '[[balance]]\nid = "a"\napplies_from = 2017\n'
            'composite_max = { primary = "0.6", junior = "0.5" }\n'
            '[balance.quality]\ncoefficient_max = { primary = "0.5", junior = "0.45" }\n'
            'standards_required = 6\nmissed_standard_min_share = "0.85"\n'
            '[balance.quality.standards.primary]\nbooks_per_student = "30"\n',
            "standards.primary must name exactly",
        ),
        ('[[dual_high_dual_universal]]\nid = "x"\napplies_from = 2017\n', "minimum_rates"),
    ],
    ids=["toml", "stage-missing", "same-year", "standards-incomplete", "no-rates"],
)
def test_a_faulty_thresholds_file_is_refused_as_a_whole(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ThresholdsError) as refused:
        load_thresholds(path)

    assert reason in str(refused.value)


# Permissions


def test_every_command_has_a_handler_and_is_permitted_to_plan_units_only() -> None:
    permissions = load_permissions()
    names = {c.command_type for c in COMMANDS}

    assert set(command_handlers(THRESHOLDS)) == names
    assert set(permissions) == names
    assert all(units and units <= PLAN_UNITS for units in permissions.values())
    assert permissions["AssessBalancedDevelopment"] == {"supervision_office"}
    assert permissions["RecordResearchVisit"] == {"education_science_institute", "teacher_division"}
    assert permissions["ProposeHighSchoolProject"] == {"development", "finance"}


# Census files

HEADER = ",".join(COLUMNS)
GOOD = "shiyan_primary,子洲县实验小学,300,1500,2400,660000,36,6000,18,15,9,3,3,9"


def lines(text: str, columns: tuple[str, ...] = COLUMNS) -> list[tuple[int, str, str]]:
    return [(ln.line, ln.school, ln.error) for ln in parse_census(text.encode("utf-8"), columns)]


def test_a_census_file_gives_each_school_its_statistics() -> None:
    (line,) = parse_census(f"\ufeff{HEADER}\n{GOOD}\n".encode())

    assert (line.line, line.school, line.name, line.error) == (
        2,
        "shiyan_primary",
        "子洲县实验小学",
        "",
    )
    assert line.statistics is not None
    assert (line.statistics.enrolment, line.statistics.books) == (300, 6000)
    assert line.statistics.equipment_value == Decimal("660000")


def test_bad_lines_are_reported_with_their_number_and_reason_and_good_lines_go_ahead() -> None:
    text = "\n".join(
        [
            HEADER,
            GOOD,
            "Dalihe,大理河小学,200,1,1,1,1,1,1,1,1,1,1,1",
            "dalihe_primary,大理河小学,0,1,1,1,1,1,1,1,1,1,1,1",
            "dalihe_primary,大理河小学,200,1,1,1,1,1,10,11,1,1,1,1",
            "shiyan_primary,子洲县实验小学,300,1,1,1,1,1,1,1,1,1,1,1",
            "majiacha_primary,马岔小学,120",
            "",
        ]
    )

    found = lines(text)

    assert [(n, school) for n, school, _ in found] == [
        (2, "shiyan_primary"),
        (3, "Dalihe"),
        (4, "dalihe_primary"),
        (5, "dalihe_primary"),
        (6, "shiyan_primary"),
        (7, ""),
    ]
    errors = [error for _, _, error in found]
    assert errors[0] == ""
    assert errors[1].startswith("school: String should match pattern")
    assert errors[2] == "enrolment: Input should be greater than or equal to 1 (got '0')"
    assert errors[3] == "statistics: teachers_above_qualification (11) exceeds teachers (10)"
    assert errors[4] == "school shiyan_primary repeats line 2"
    assert errors[5] == "expected 14 columns, found 3"


def test_registering_needs_only_the_school_and_its_name() -> None:
    found = lines("school,name\nshiyan_primary,子洲县实验小学\n", REGISTER_COLUMNS)

    assert found == [(2, "shiyan_primary", "")]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"school,name,enrolment\n", "the header lacks column(s): teaching_floor_area"),
        (b"", "the header lacks column(s): school, name"),
        (b"school,name\n\xff\xfe,x\n", "not valid UTF-8"),
    ],
)
def test_a_file_that_is_no_census_file_is_refused_as_a_whole(raw: bytes, reason: str) -> None:
    with pytest.raises(CensusFileError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        list(parse_census(raw))
