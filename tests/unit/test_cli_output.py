"""The command line's tables: human headers and values in the language asked, ¥ amounts and
numbers never cut, the same table as CSV, and `--csv`/`--lang` on every table command."""

from __future__ import annotations

import csv
import io

import pytest
import typer
from rich.console import Console

from services.cli import output

ROWS = [
    {"stage": "high_school", "aided": 618, "amount_granted": "1545000.00", "left_on": None},
    {"stage": "junior", "aided": 2758, "amount_granted": "3447500.00", "left_on": "2017-11-20"},
]
COLUMNS = ["stage", "aided", "amount_granted", "left_on"]


@pytest.fixture(autouse=True)
def fresh_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "OUTPUT", output.Output())
    monkeypatch.delenv("EDUPLAN_LANG", raising=False)


def rendered(width: int, lang: str) -> str:
    output.OUTPUT.lang = lang
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(output.table("资助", ROWS, COLUMNS, total=True))
    return console.export_text()


def test_a_table_speaks_chinese_by_default_with_yuan_and_separators() -> None:
    text = rendered(120, "zh")

    assert "学段" in text
    assert "已助人数" in text
    assert "高中" in text
    assert "初中" in text
    assert "¥1,545,000.00" in text
    assert "¥4,992,500.00" in text
    assert "3,376" in text
    assert "2017年11月20日" in text
    assert "合计" in text
    assert "high_school" not in text
    assert "amount_granted" not in text


def test_a_narrow_terminal_never_cuts_a_number() -> None:
    text = rendered(40, "en")

    for figure in ("¥1,545,000.00", "¥3,447,500.00", "¥4,992,500.00", "2,758", "3,376"):
        assert figure in text, text
    assert "…" not in text


def test_the_same_table_as_csv() -> None:
    output.OUTPUT.lang = "en"
    rows = list(csv.reader(io.StringIO(output.as_csv(output.table("t", ROWS, COLUMNS)))))

    assert rows[0] == ["Stage", "Aided", "Granted (¥)", "Left on"]
    assert rows[2] == ["Junior secondary", "2,758", "¥3,447,500.00", "2017-11-20"]


def test_csv_and_lang_count_wherever_they_are_given() -> None:
    rest = output.take_output_options(["report", "aid-coverage", "--csv", "--lang", "en", "-x"])

    assert rest == ["report", "aid-coverage", "-x"]
    assert output.OUTPUT.csv
    assert output.lang() == "en"
    assert output.take_output_options(["--lang=zh", "up"]) == ["up"]
    assert output.lang() == "zh"
    with pytest.raises(typer.BadParameter):
        output.take_output_options(["report", "--lang", "fr"])


def test_help_shows_flags_as_flags() -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from services.cli.main import app  # noqa: PLC0415

    shown = CliRunner().invoke(app, ["report", "aid-coverage", "--help"], env={"COLUMNS": "120"})

    assert shown.exit_code == 0
    assert "--json" in shown.output
    assert "<bool>" not in shown.output
    assert "--term" in shown.output
