"""Reading a dispatch sheet (CSV, UTF-8, header row) into dispatches and arrivals.

One line per master teacher sent to a host school; `arrived_on` may be empty when the teacher
has not arrived yet. Every line is judged on its own: a bad line is reported with its number
and reason, and the good lines go ahead; only a header missing a column refuses the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from contracts.staffing.commands import DispatchMasterTeacher, RecordMasterTeacherArrival

COLUMNS = (
    "county",
    "host_school",
    "subject",
    "teacher_id",
    "name",
    "home_school",
    "start_term",
    "planned_end_term",
    "arrived_on",
)


class SheetError(Exception):
    """The file as a whole is not a dispatch sheet; nothing from it may be sent."""


@dataclass(frozen=True)
class SheetLine:
    line: int
    dispatch: DispatchMasterTeacher | None
    arrived_on: date | None = None
    error: str = ""

    def arrival(self) -> RecordMasterTeacherArrival | None:
        if self.dispatch is None or self.arrived_on is None:
            return None
        d = self.dispatch
        return RecordMasterTeacherArrival(
            county=d.county,
            host_school=d.host_school,
            subject=d.subject,
            teacher_id=d.teacher_id,
            arrived_on=self.arrived_on,
        )


def read_sheet(path: Path) -> list[SheetLine]:
    return list(parse_sheet(path.read_text(encoding="utf-8-sig")))


def parse_sheet(text: str) -> Iterator[SheetLine]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise SheetError(f"the header lacks column(s): {', '.join(missing)}")
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        if any(cell.strip() for cell in row):
            yield _judge(reader.line_num, header, row, seen)


def _judge(
    line: int, header: list[str], row: list[str], seen: dict[tuple[str, str], int]
) -> SheetLine:
    if len(row) != len(header):
        return SheetLine(line, None, error=f"expected {len(header)} columns, found {len(row)}")
    cells = {name: value.strip() for name, value in zip(header, row, strict=True)}
    key = (cells["teacher_id"].lower(), cells["start_term"])
    if key in seen:
        return SheetLine(line, None, error=f"the same teacher and start term as line {seen[key]}")
    try:
        dispatch = DispatchMasterTeacher.model_validate(
            {
                **{c: cells[c] for c in COLUMNS if c not in ("name", "arrived_on")},
                "personal": {"name": cells["name"]},
            }
        )
        arrived = date.fromisoformat(cells["arrived_on"]) if cells["arrived_on"] else None
    except ValidationError as exc:
        return SheetLine(line, None, error=_reasons(exc))
    except ValueError:
        return SheetLine(line, None, error=f"arrived_on: not a date (got {cells['arrived_on']!r})")
    seen[key] = line
    return SheetLine(line, dispatch, arrived)


def _reasons(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"]).replace("personal.", "")
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
