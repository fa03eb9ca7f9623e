"""Reading a poverty-roster file (CSV, UTF-8, header row) into RegisterStudent commands.

Columns: student_registry_id, name, gender, birth_date, county_code, school, stage, grade,
boarding, household_id. Genders and yes/no may be written in English or Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from contracts.assistance.commands import RegisterStudent
from contracts.files.csv_lines import CsvFileError, Line, read_lines

COLUMNS = (
    "student_registry_id",
    "name",
    "gender",
    "birth_date",
    "county_code",
    "school",
    "stage",
    "grade",
    "boarding",
    "household_id",
)
_GENDERS = {
    "male": "male",
    "m": "male",
    "男": "male",
    "female": "female",
    "f": "female",
    "女": "female",
}
_BOOLEANS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "是": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
    "否": False,
}
_FIELD_NAMES = {
    "county": "county_code",
    "personal.student_registry_id": "student_registry_id",
    "personal.name": "name",
    "personal.gender": "gender",
    "personal.birth_date": "birth_date",
    "personal.household_id": "household_id",
}

RosterFileError = CsvFileError
RosterLine = Line[RegisterStudent]


def read_roster(path: Path) -> list[RosterLine]:
    return list(parse_roster(path.read_bytes()))


def parse_roster(raw: bytes) -> Iterator[RosterLine]:
    return read_lines(raw, COLUMNS, _command, ["student_registry_id"], _FIELD_NAMES)


def _command(cells: Mapping[str, str]) -> RegisterStudent:
    return RegisterStudent.model_validate(
        {
            "county": cells["county_code"],
            "school": cells["school"],
            "stage": cells["stage"].lower(),
            "grade": cells["grade"],
            "boarding": _BOOLEANS.get(cells["boarding"].lower(), cells["boarding"]),
            "personal": {
                "student_registry_id": cells["student_registry_id"].upper(),
                "name": cells["name"],
                "gender": _GENDERS.get(cells["gender"].lower(), cells["gender"]),
                "birth_date": cells["birth_date"],
                "household_id": cells["household_id"],
            },
        }
    )
