"""Reading the poverty roster: every line judged on its own, bad lines reported by number."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from contracts.files.roster import (
    COLUMNS,
    RosterFileError,
    RosterLine,
    parse_roster,
    read_roster,
)
from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from contracts.types import Stage
from tests.support.builders import new_registry_id

HEADER = ",".join(COLUMNS)


def line(
    registry: str | None = None,
    *,
    name: str = "李静",
    gender: str = "female",
    birth_date: str = "2009-09-14",
    county_code: str = "610831",
    school: str = "子洲县实验小学",
    stage: str = "primary",
    grade: str = "3",
    boarding: str = "true",
    household_id: str = "61083104270318",
) -> str:
    """One roster line, good unless a column is given a bad value."""
    cells = [registry or new_registry_id(), name, gender, birth_date, county_code, school, stage]
    return ",".join([*cells, grade, boarding, household_id])


def parse(*lines: str, header: str = HEADER) -> list[RosterLine]:
    return list(parse_roster("\n".join([header, *lines, ""]).encode("utf-8")))


def reported(result: list[RosterLine]) -> dict[int, str]:
    return {r.line: r.error for r in result if r.value is None}


def test_a_good_file_gives_one_command_per_line() -> None:
    first, second = new_registry_id(), new_registry_id()

    result = parse(
        line(first, name="李静", stage="primary", grade="3", boarding="true"),
        line(second, name="王强", gender="male", stage="high_school", grade="1", boarding="false"),
    )

    assert [r.line for r in result] == [2, 3]
    assert reported(result) == {}
    commands = [r.value for r in result if r.value]
    assert [c.personal.student_registry_id for c in commands] == [first, second]
    assert [(c.stage, c.grade, c.boarding) for c in commands] == [
        (Stage.PRIMARY, 3, True),
        (Stage.HIGH_SCHOOL, 1, False),
    ]
    assert commands[1].personal.name == "王强"
    assert commands[1].personal.birth_date == date(2009, 9, 14)
    assert commands[1].county == "610831"


@pytest.mark.parametrize(
    ("bad", "column", "value"),
    [
        ({"stage": "kindergarten"}, "stage", "kindergarten"),
        ({"grade": "7"}, "grade", "7"),
        ({"grade": "three"}, "grade", "three"),
        ({"county_code": "61083"}, "county_code", "61083"),
        ({"birth_date": "2009-02-30"}, "birth_date", "2009-02-30"),
        ({"birth_date": "14/09/2009"}, "birth_date", "14/09/2009"),
        ({"boarding": "maybe"}, "boarding", "maybe"),
        ({"gender": "x"}, "gender", "x"),
        ({"registry": "G61083120090914"}, "student_registry_id", "G61083120090914"),
        ({"household_id": ""}, "household_id", ""),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_bad_value_is_reported_on_its_line_naming_the_column(
    bad: dict[str, str], column: str, value: str
) -> None:
    result = parse(line(), line(**bad), line())

    assert reported(result).keys() == {3}
    assert column in reported(result)[3]
    assert value in reported(result)[3]
    assert [r.line for r in result if r.value] == [2, 4]


def test_a_grade_beyond_the_stage_says_which_grades_exist() -> None:
    result = parse(line(stage="junior", grade="4"))

    assert reported(result) == {2: "grade: junior has grades 1-3 only (got '4')"}


def test_several_bad_columns_on_one_line_are_all_reported() -> None:
    error = reported(parse(line(gender="?", grade="x")))[2]

    assert "gender" in error
    assert "grade" in error


@pytest.mark.parametrize("cells", [len(COLUMNS) - 1, len(COLUMNS) + 1])
def test_a_line_with_the_wrong_number_of_columns_is_reported(cells: int) -> None:
    short_or_long = ",".join(line().split(",")[:cells] + ["extra"] * (cells - len(COLUMNS)))

    result = parse(line(), short_or_long, line())

    assert reported(result) == {3: f"expected {len(COLUMNS)} columns, found {cells}"}


def test_a_student_listed_twice_is_reported_pointing_at_the_first_line() -> None:
    twice = new_registry_id()

    result = parse(line(), line(twice), line(), line(twice.lower(), name="李晶"))

    assert reported(result) == {
        5: f"duplicate student_registry_id {twice} (first on line 3)",
    }
    assert len([r for r in result if r.value]) == 3


def test_a_line_with_broken_utf8_is_reported_and_the_others_still_read() -> None:
    good = (HEADER + "\n" + line() + "\n").encode()
    broken = line(name="李静").encode().replace("静".encode(), b"\xe9\x9d")

    result = list(parse_roster(good + broken + b"\n" + line().encode() + b"\n"))

    assert reported(result) == {3: "not valid UTF-8"}
    assert [r.line for r in result if r.value] == [2, 4]


def test_a_header_without_a_required_column_refuses_the_whole_file() -> None:
    header = HEADER.replace(",household_id", "")

    with pytest.raises(RosterFileError, match="household_id"):
        parse(line(), header=header)


def test_an_empty_file_is_not_a_roster() -> None:
    with pytest.raises(RosterFileError, match="empty"):
        list(parse_roster(b""))


def test_the_header_may_differ_in_case_spacing_and_order() -> None:
    columns = list(reversed(COLUMNS))
    header = ", ".join(c.upper() for c in columns)
    values = dict(zip(COLUMNS, line().split(","), strict=True))

    result = parse(",".join(values[c] for c in columns), header=header)

    assert reported(result) == {}
    assert result[0].value is not None
    assert result[0].value.personal.household_id == "61083104270318"


def test_a_byte_order_mark_and_blank_lines_are_tolerated_and_counted() -> None:
    text = "\n".join([HEADER, "", line(), "   ", ",,,,,,,,,", line(grade="9"), ""])

    result = list(parse_roster("\ufeff".encode() + text.encode("utf-8")))

    assert [r.line for r in result] == [3, 6]
    assert reported(result) == {6: "grade: primary has grades 1-6 only (got '9')"}


def test_windows_line_endings_are_read() -> None:
    text = "\r\n".join([HEADER, line(), line(stage="Junior", grade="2"), ""])

    result = list(parse_roster(text.encode("utf-8")))

    assert reported(result) == {}
    assert [r.value.stage for r in result if r.value] == [Stage.PRIMARY, Stage.JUNIOR]


def test_chinese_words_for_gender_and_yes_no_are_understood() -> None:
    result = parse(
        line(gender="男", boarding="是"),
        line(gender="女", boarding="否"),
        line(gender="M", boarding="Yes"),
        line(gender="f", boarding="0"),
    )

    commands = [r.value for r in result]
    assert all(commands)
    assert [(c.personal.gender, c.boarding) for c in commands if c] == [
        ("male", True),
        ("female", False),
        ("male", True),
        ("female", False),
    ]


def test_a_quoted_field_over_two_lines_keeps_the_following_line_numbers() -> None:
    school_on_two_lines = line(school='"子洲县实验小学\n（东校区）"')

    result = parse(school_on_two_lines, line(), line(county_code="6108"), line())

    assert [r.line for r in result] == [2, 4, 5, 6]
    assert reported(result).keys() == {5}
    assert result[0].value is not None
    assert result[0].value.school == "子洲县实验小学\n（东校区）"


def test_registry_ids_are_read_in_upper_case() -> None:
    registry = new_registry_id()

    result = parse(line(registry.lower()))

    assert result[0].value is not None
    assert result[0].value.personal.student_registry_id == registry


def test_a_roster_file_is_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(("\ufeff" + HEADER + "\r\n" + line() + "\r\n").encode("utf-8"))

    result = read_roster(path)

    assert len(result) == 1
    assert result[0].value is not None


# The synthetic pilot roster


SAMPLE = sample_rows()


def _check_character(body: str) -> str:
    """ISO 7064 MOD 11-2, as on a national id card."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(body))
    return "0123456789X"[(12 - total % 11) % 11]


def test_the_sample_has_the_pilot_counts_of_every_stage() -> None:
    by_stage = Counter(r["stage"] for r in SAMPLE)

    assert by_stage["preschool"] == 1152
    assert by_stage["primary"] + by_stage["junior"] == 2758
    assert by_stage["high_school"] == 618
    assert by_stage["vocational"] == 486
    assert by_stage["undergraduate"] == 1029
    assert by_stage["junior_college"] == 675
    assert len(SAMPLE) == 5014 + 1704
    assert sum(PILOT_COUNTS.values()) == len(SAMPLE)


def test_all_compulsory_pupils_of_the_sample_board_and_no_one_else() -> None:
    compulsory = {"primary", "junior"}

    assert {r["boarding"] for r in SAMPLE if r["stage"] in compulsory} == {"true"}
    assert {r["boarding"] for r in SAMPLE if r["stage"] not in compulsory} == {"false"}


def test_university_students_of_the_sample_spread_over_their_grades() -> None:
    def grades(stage: str) -> set[str]:
        return {r["grade"] for r in SAMPLE if r["stage"] == stage}

    assert grades("undergraduate") == {"1", "2", "3", "4"}
    assert grades("junior_college") == {"1", "2", "3"}


def test_sample_registry_ids_are_unique_and_carry_valid_check_characters() -> None:
    ids = [r["student_registry_id"] for r in SAMPLE]

    assert len(set(ids)) == len(ids)
    assert all(i.startswith("G610831") and len(i) == 19 for i in ids)
    assert all(i[-1] == _check_character(i[1:-1]) for i in ids)


def test_the_sample_csv_reads_back_without_a_bad_line() -> None:
    result = list(parse_roster(to_csv(SAMPLE).encode("utf-8")))

    assert reported(result) == {}
    assert len(result) == len(SAMPLE)
    assert result[-1].line == len(SAMPLE) + 1
    assert {r.value.county for r in result if r.value} == {"610831"}


def test_a_roster_saved_by_excel_in_gbk_is_refused_as_a_whole_saying_how_to_convert_it() -> None:
    text = HEADER + "\n" + line(name="李静") + "\n" + line(name="王芳") + "\n"

    with pytest.raises(RosterFileError, match=r"GB18030/GBK.*CSV UTF-8"):
        list(parse_roster(text.encode("gb18030")))
    excel_utf8 = list(parse_roster("\ufeff".encode() + text.encode()))
    assert [r.line for r in excel_utf8 if r.value] == [2, 3], "a byte-order mark is fine"
