"""Reading a poverty-roster file (CSV, UTF-8, header row) into RegisterStudent commands.

Every line is judged on its own: a bad line is reported with its number and reason and the
good lines go ahead. Only a file that cannot be read as a roster at all (no header, a
required column missing from the header) is refused as a whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from contracts.assistance.commands import RegisterStudent

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


class RosterFileError(Exception):
    """The file as a whole is not a roster; nothing from it may be registered."""


@dataclass(frozen=True)
class RosterLine:
    line: int
    command: RegisterStudent | None
    error: str = ""


def read_roster(path: Path) -> list[RosterLine]:
    return list(parse_roster(path.read_bytes()))


def parse_roster(raw: bytes) -> Iterator[RosterLine]:
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise RosterFileError("the file is empty: expected a header row")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RosterFileError(f"the header lacks column(s): {', '.join(missing)}")
    seen: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        yield _judge(start, names, row, seen)


def _judge(line: int, names: list[str], row: list[str], seen: dict[str, int]) -> RosterLine:
    if any(_has_broken_utf8(cell) for cell in row):
        return RosterLine(line, None, "not valid UTF-8")
    if len(row) != len(names):
        return RosterLine(line, None, f"expected {len(names)} columns, found {len(row)}")
    cells = {n: v.strip() for n, v in zip(names, row, strict=True)}
    registry_id = cells["student_registry_id"].upper()
    if registry_id in seen:
        return RosterLine(
            line,
            None,
            f"duplicate student_registry_id {registry_id} (first on line {seen[registry_id]})",
        )
    try:
        command = RegisterStudent.model_validate(
            {
                "county": cells["county_code"],
                "school": cells["school"],
                "stage": cells["stage"].lower(),
                "grade": cells["grade"],
                "boarding": _BOOLEANS.get(cells["boarding"].lower(), cells["boarding"]),
                "personal": {
                    "student_registry_id": registry_id,
                    "name": cells["name"],
                    "gender": _GENDERS.get(cells["gender"].lower(), cells["gender"]),
                    "birth_date": cells["birth_date"],
                    "household_id": cells["household_id"],
                },
            }
        )
    except ValidationError as exc:
        return RosterLine(line, None, _reasons(exc))
    seen[registry_id] = line
    return RosterLine(line, command)


_FIELD_NAMES = {
    "county": "county_code",
    "personal.student_registry_id": "student_registry_id",
    "personal.name": "name",
    "personal.gender": "gender",
    "personal.birth_date": "birth_date",
    "personal.household_id": "household_id",
}


def _reasons(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"])
        column = _FIELD_NAMES.get(where, where)
        value = f" (got {err['input']!r})" if column and not isinstance(err["input"], dict) else ""
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{column}: {message}{value}" if column else message)
    return "; ".join(parts)


def _has_broken_utf8(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)
