"""CSV files departments exchange (rosters, payment lists, university reports), read line by
line: a bad line is reported with its number and reason and the good lines go ahead; only a
file that is not such a file at all (no header, a column missing) is refused as a whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class CsvFileError(Exception):
    """The file as a whole cannot be read; nothing from it may be used."""


@dataclass(frozen=True)
class Line(Generic[M]):
    line: int
    value: M | None
    error: str = ""
    key: str = ""  # the line's key as written, e.g. a registry number


def read_lines(
    raw: bytes,
    columns: Sequence[str],
    build: Callable[[Mapping[str, str]], M],
    key_columns: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> Iterator[Line[M]]:
    """Validate each data row with `build`; a key (of `key_columns`) seen before is a duplicate.

    `names` maps model field paths (as pydantic reports them) to the file's column names.
    """
    text = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise CsvFileError("the file is empty: expected a header row")
    found = [h.strip().lower() for h in header]
    missing = [c for c in columns if c not in found]
    if missing:
        raise CsvFileError(f"the header lacks column(s): {', '.join(missing)}")
    seen: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if any(cell.strip() for cell in row):
            yield _judge(start, found, row, seen, build, key_columns, names or {})


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark); bytes that are not UTF-8 are kept as
    surrogates so their line can be reported. A file that is GB18030 throughout (what Excel
    saves as "CSV" on a Chinese Windows) is refused as a whole, saying how to convert it,
    rather than reported line by line as broken."""
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    lines = text.splitlines()
    broken = sum(1 for line in lines if _not_utf8(line))
    if broken and broken * 2 >= len(lines):
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            return text
        raise CsvFileError(
            "the file is not UTF-8: it reads as GB18030/GBK, the encoding Excel uses for "
            '"CSV" on a Chinese Windows. Save it as "CSV UTF-8" (or convert it: '
            "iconv -f GB18030 -t UTF-8) and import it again"
        )
    return text


def _not_utf8(text: str) -> bool:
    """Whether `text` holds bytes that were not UTF-8 (decoded as surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _judge(
    line: int,
    header: list[str],
    row: list[str],
    seen: dict[str, int],
    build: Callable[[Mapping[str, str]], M],
    key_columns: Sequence[str],
    names: Mapping[str, str],
) -> Line[M]:
    if any(_not_utf8(cell) for cell in row):
        return Line(line, None, "not valid UTF-8")
    if len(row) != len(header):
        return Line(line, None, f"expected {len(header)} columns, found {len(row)}")
    cells = {n: v.strip() for n, v in zip(header, row, strict=True)}
    key = "/".join(cells[c].upper() for c in key_columns)
    if key in seen:
        what = "/".join(key_columns)
        return Line(line, None, f"duplicate {what} {key} (first on line {seen[key]})", key)
    try:
        value = build(cells)
    except ValidationError as exc:
        return Line(line, None, reasons(exc, names), key)
    seen[key] = line
    return Line(line, value, "", key)


def reasons(exc: ValidationError, names: Mapping[str, str]) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"])
        column = names.get(where, where)
        message = str(err["msg"]).removeprefix("Value error, ")
        value = f" (got {err['input']!r})" if column and not isinstance(err["input"], dict) else ""
        parts.append(f"{column}: {message}{value}" if column else message)
    return "; ".join(parts)
