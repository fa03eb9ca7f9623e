"""How the command line shows a report to a person: human column names and values from the
catalogue (shared.i18n), ¥ amounts and numbers with thousands separators, dates per language,
columns that never cut a number, and the same table as CSV with `--csv`.

`--csv` and `--lang` are taken from the command line before the commands parse it
(`take_output_options`), so every command has them, a command generated from the contracts
too; `--lang` also sets EDUPLAN_LANG for what the command runs.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from rich.table import Table
from typer.core import TyperOption

from shared import i18n
from shared.spreadsheet import neutralise

VALUE_CONTEXTS = {
    "stage": "stage",
    "programme": "programme",
    "status": "status",
    "subject": "subject",
    "kind": "alert_kind",
    "county": "county",
    "indicator": "indicator",
    "school": "school",
    "helped_school": "school",
    "helper_school": "school",
    "host_school": "school",
    "jurisdiction": "county",
    "department": "unit",
    "departments": "unit",
}
"""Columns whose values are ids the catalogue names (an unknown id shows as it is)."""
VERDICTS = ("passed", "met", "meets_target", "value")
"""Yes-or-no columns that say whether a target is met (达标), not just yes or no."""
MONEY_WORDS = ("amount", "rate_per_student")


@dataclass
class Output:
    """What this invocation asked for: CSV instead of tables, and its language."""

    csv: bool = False
    lang: str | None = None


OUTPUT = Output()


def lang() -> str:
    return i18n.language(OUTPUT.lang)


def is_money(column: str) -> bool:
    return any(word in column for word in MONEY_WORDS)


def header(column: str) -> str:
    return i18n.label("field", column, lang())


def value(column: str, raw: Any) -> str:  # noqa: PLR0911 - one return per kind of cell
    """A cell as a person reads it in the current language."""
    if raw is None:
        return ""
    if isinstance(raw, list):
        return ", ".join(value(column, item) for item in raw)
    if isinstance(raw, bool) and column in VERDICTS:
        return i18n.label("status", "pass" if raw else "fail", lang())
    if isinstance(raw, bool):
        return i18n.label("answer", "yes" if raw else "no", lang())
    if column.endswith("year") or column == "applies_from":
        return str(raw)  # a year, not a figure: no thousands separator
    if is_money(column) and _decimal(raw) is not None:
        return i18n.money(raw)
    if isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer()):
        return i18n.number(int(raw))
    if column.endswith("_on") and isinstance(raw, str) and len(raw) >= 10 and raw[4] == "-":
        return i18n.day(raw, lang())
    if (column == "term" or column.endswith("_term")) and isinstance(raw, str):
        return i18n.term(raw, lang())
    context = VALUE_CONTEXTS.get(column)
    if context:
        return i18n.label(context, raw, lang())
    return str(raw)


def _decimal(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None


def numeric(rows: Sequence[Row], column: str) -> bool:
    """A column of figures (an id, a code or a year is not one, though it may be digits)."""
    not_figures = ("id", "applies_from")
    if column in (*VALUE_CONTEXTS, *not_figures) or column.endswith(("_id", "year")):
        return False
    values = [r.get(column) for r in rows if r.get(column) is not None]
    return bool(values) and all(
        not isinstance(v, bool) and (isinstance(v, int | float) or _decimal(v) is not None)
        for v in values
    )


def table(
    title: str,
    rows: Sequence[Row],
    columns: Sequence[str],
    total: bool = False,
    alarms: Sequence[bool] = (),
) -> Table:
    """Rows as a table with human headers; numbers right-aligned and never wrapped or cut
    (text columns fold instead); with `total`, a sum row of the numeric columns; rows whose
    `alarms` are set in red."""
    shown = Table(title=title)
    numbers = {c for c in columns if numeric(rows, c)}
    cells = [[value(c, r.get(c)) for c in columns] for r in rows]
    if total and rows:
        sums = {c: sum((Decimal(str(r.get(c) or 0)) for r in rows), Decimal(0)) for c in numbers}
        cells.append(
            [
                value(
                    c,
                    int(sums[c])
                    if sums[c] == sums[c].to_integral() and not is_money(c)
                    else sums[c],
                )
                if c in numbers
                else (i18n.label("field", "total", lang()) if i == 0 else "")
                for i, c in enumerate(columns)
            ]
        )
    for i, c in enumerate(columns):
        if c in numbers:
            widest = max((len(row[i]) for row in cells), default=0)
            shown.add_column(header(c), justify="right", no_wrap=True, min_width=widest)
        else:
            shown.add_column(header(c), overflow="fold")
    for n, row in enumerate(cells):
        alarm = n < len(alarms) and alarms[n]
        shown.add_row(*row, style="bold red" if alarm else "bold" if n == len(rows) else None)
    return shown


Row = Mapping[str, Any]


@dataclass(frozen=True)
class View:
    """A report as a table, declared rather than written: the catalogue's title `cli.<title>`
    filled with what was asked (a term, `where`: the county or the province) and `values` of
    the answer; the answer's `rows`; its `columns` (space-separated names the catalogue labels,
    context `field`), each a row's value of that name or what `cells` makes of the row. Rows
    that `alarm` are red; with `total`, a sum row."""

    title: str
    columns: str
    cells: Mapping[str, Callable[[Row], Any]] = field(default_factory=dict)
    rows: Callable[[Any], Sequence[Row]] = lambda body: body
    values: Callable[[Any], Mapping[str, Any]] = lambda body: {}
    alarm: Callable[[Row], bool] | None = None
    total: bool = False

    def __call__(self, body: Any, asked: Mapping[str, Any] | None = None) -> Table:
        asked = {k: v for k, v in (asked or {}).items() if v is not None}
        names = self.columns.split()
        rows = [
            {n: self.cells[n](r) if n in self.cells else r.get(n) for n in names}
            for r in self.rows(body)
        ]
        alarms = [bool(self.alarm and self.alarm(r)) for r in self.rows(body)]
        heading = title(self.title, **(asked | dict(self.values(body))))
        return table(heading, rows, names, self.total, alarms)


def title(key: str, **values: Any) -> str:
    """The catalogue's sentence `cli.<key>`, a term and dates said in the language, `where`
    the county asked or the province."""
    county = values.get("county")
    where = i18n.label("county", county, lang()) if county else i18n.text("cli.province", lang())
    if "term" in values:
        values["term"] = i18n.term(str(values["term"]), lang())
    if "on" in values:
        values["on"] = i18n.day(str(values["on"]), lang())
    return i18n.text(f"cli.{key}", lang(), **{"where": where, **values})


def labelled(context: str, raw: Any) -> str:
    """An id named by the catalogue in the current language (a cell made of several)."""
    return i18n.label(context, raw, lang())


def as_csv(shown: Table) -> str:
    """A table as CSV: a header row and its cells as shown; formulas neutralised for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([str(c.header) for c in shown.columns])
    columns = [[str(cell) for cell in c.cells] for c in shown.columns]
    for row in zip(*columns, strict=True):
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def take_output_options(argv: list[str]) -> list[str]:
    """`--csv` and `--lang zh|en` (or `--lang=en`) wherever they are on the command line, for
    any command (a generated one too): noted here, the rest of `argv` returned for the
    commands. An unknown language is a usage error."""
    rest: list[str] = []
    items = iter(argv)
    for arg in items:
        if arg == "--csv":
            OUTPUT.csv = True
        elif arg == "--lang" or arg.startswith("--lang="):
            asked = arg.partition("=")[2] if "=" in arg else next(items, "")
            if asked not in i18n.LANGUAGES:
                raise typer.BadParameter(
                    f"{asked!r} is not one of {', '.join(i18n.LANGUAGES)}", param_hint="--lang"
                )
            OUTPUT.lang = asked
            os.environ["EDUPLAN_LANG"] = asked
        else:
            rest.append(arg)
    return rest


def flags_as_flags() -> None:
    """Help shows a flag as a flag (`--json`), not as an option taking a value (`--json
    <bool>`, which Typer 0.29 prints for every flag, `--help` too)."""
    shown = TyperOption.display_type_rich
    if getattr(shown, "flags_as_flags", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.flags_as_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
