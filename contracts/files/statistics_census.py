"""Reading a census file (CSV, UTF-8, header row): one school of one stage per line.

The columns are `school`, `name` and the fields of SchoolStatistics. Every line is judged on its
own: a bad line is reported with its number and reason and the good lines go ahead; only a file
without the needed header columns is refused as a whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError

from contracts.evaluation.types import LocalId, Name, SchoolStatistics
from contracts.types import Contract

STATISTICS_COLUMNS = tuple(SchoolStatistics.model_fields)
REGISTER_COLUMNS = ("school", "name")
COLUMNS = (*REGISTER_COLUMNS, *STATISTICS_COLUMNS)


class _Line(Contract):
    school: LocalId
    name: Name
    statistics: SchoolStatistics | None = Field(description="None when only registering.")


class CensusFileError(Exception):
    """The file as a whole is not a census file; nothing of it may be sent."""


@dataclass(frozen=True)
class CensusLine:
    line: int
    school: str
    name: str
    statistics: SchoolStatistics | None
    error: str = ""


def read_census(path: Path, columns: tuple[str, ...] = COLUMNS) -> list[CensusLine]:
    return list(parse_census(path.read_bytes(), columns))


def parse_census(raw: bytes, columns: tuple[str, ...] = COLUMNS) -> Iterator[CensusLine]:
    """Lines of a census file; with `REGISTER_COLUMNS` only the school and name are read."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise CensusFileError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    names = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in columns if c not in names]
    if missing:
        raise CensusFileError(f"the header lacks column(s): {', '.join(missing)}")
    seen: dict[str, int] = {}
    for row in reader:
        if any(cell.strip() for cell in row):
            yield _judge(reader.line_num, names, row, columns, seen)


def _judge(
    line: int, names: list[str], row: list[str], columns: tuple[str, ...], seen: dict[str, int]
) -> CensusLine:
    if len(row) != len(names):
        return CensusLine(line, "", "", None, f"expected {len(names)} columns, found {len(row)}")
    cells = {n: v.strip() for n, v in zip(names, row, strict=True)}
    school, name = cells["school"], cells["name"]
    wanted = {c: cells[c] for c in STATISTICS_COLUMNS} if columns != REGISTER_COLUMNS else None
    try:
        parsed = _Line(school=school, name=name, statistics=wanted)  # type: ignore[arg-type]
    except ValidationError as exc:
        return CensusLine(line, school, name, None, _reasons(exc))
    if school in seen:
        return CensusLine(line, school, name, None, f"school {school} repeats line {seen[school]}")
    seen[school] = line
    return CensusLine(line, school, name, parsed.statistics)


def _reasons(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"][1:] if err["loc"][0] == "statistics") or str(
            err["loc"][0]
        )
        message = str(err["msg"]).removeprefix("Value error, ")
        value = "" if isinstance(err["input"], dict) else f" (got {err['input']!r})"
        parts.append(f"{where}: {message}{value}")
    return "; ".join(parts)
