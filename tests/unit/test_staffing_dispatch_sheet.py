"""Reading a dispatch sheet: good lines go ahead, each bad line says where and why."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.files.dispatch_sheet import SheetError, parse_sheet
from tests.support.staffing import dispatch_sheet, pilot_teachers


def test_every_line_of_a_good_sheet_is_a_dispatch_with_its_arrival() -> None:
    teachers = pilot_teachers()[:3]

    lines = list(parse_sheet(dispatch_sheet(teachers)))

    assert [ln.line for ln in lines] == [2, 3, 4]
    assert [ln.dispatch.teacher_id for ln in lines if ln.dispatch] == [
        t.teacher_id for t in teachers
    ]
    first = lines[0]
    assert first.dispatch == teachers[0].dispatch()
    assert first.arrival() == teachers[0].arrival()
    assert first.arrived_on == date(2016, 9, 1)


def test_bad_lines_are_reported_by_number_and_good_lines_kept() -> None:
    header, good, other, third = dispatch_sheet(pilot_teachers()[:3]).splitlines()
    ends_early = good.replace("2016-autumn,2019-spring", "2016-autumn,2015-spring")
    no_arrival = other.rsplit(",", 1)[0] + ","
    bad_day = third.rsplit(",", 1)[0] + ",2016-13-01"
    text = "\n".join([header, ends_early, "a,b,c", no_arrival, no_arrival, good, bad_day]) + "\n"

    lines = list(parse_sheet(text))

    errors = {ln.line: ln.error for ln in lines if ln.dispatch is None}
    assert errors == {
        2: "planned_end_term 2015-spring is before start_term 2016-autumn",
        3: "expected 9 columns, found 3",
        5: "the same teacher and start term as line 4",
        7: "arrived_on: not a date (got '2016-13-01')",
    }
    kept = [ln for ln in lines if ln.dispatch is not None]
    assert [(ln.line, ln.arrival() is None) for ln in kept] == [(4, True), (6, False)]


def test_a_bad_subject_names_the_column() -> None:
    header, good = dispatch_sheet(pilot_teachers()[:1]).splitlines()

    (line,) = parse_sheet(f"{header}\n{good.replace(',chinese,', ',Chinese,')}\n")

    assert line.dispatch is None
    assert line.error.startswith("subject: String should match pattern")


def test_a_header_without_a_column_refuses_the_sheet() -> None:
    header, good = dispatch_sheet(pilot_teachers()[:1]).splitlines()

    with pytest.raises(SheetError, match="arrived_on"):
        list(parse_sheet(f"{header.rsplit(',', 1)[0]}\n{good}\n"))
