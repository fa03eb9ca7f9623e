"""Every exchanged file format has an example under contracts/files/examples that reads cleanly."""

from __future__ import annotations

from pathlib import Path

from contracts.files import dispatch_sheet, exchange_files, roster, statistics_census
from contracts.files.aid_catalogue import DEFAULT_CATALOGUE, read_catalogue_file
from contracts.files.county_plan import PILOT_PLAN, read_plan
from contracts.files.guidance_plan import guidance_plan
from contracts.files.pairing_seed import PILOT_SEED, load_seed

EXAMPLES = Path(roster.__file__).parent / "examples"


def test_every_line_of_each_csv_example_makes_a_command() -> None:
    files = {
        "roster.csv": roster.parse_roster,
        "payments.csv": exchange_files.parse_payments,
        "university_report.csv": exchange_files.parse_university_report,
        "statistics_census.csv": statistics_census.parse_census,
    }
    for name, parse in files.items():
        lines = list(parse((EXAMPLES / name).read_bytes()))
        assert lines, name
        assert [ln.error for ln in lines if ln.error] == [], name
    sheet = dispatch_sheet.read_sheet(EXAMPLES / "dispatch_sheet.csv")
    assert sheet
    assert all(ln.dispatch is not None for ln in sheet)


def test_the_toml_examples_read_into_commands() -> None:
    assert DEFAULT_CATALOGUE.parent == EXAMPLES
    assert len(read_catalogue_file()) >= 10
    assert PILOT_SEED.parent == EXAMPLES
    assert len(load_seed().pairs) == 7
    assert guidance_plan("610831", 2017).county == "610831"
    assert read_plan(PILOT_PLAN).county.code == "610831"


def test_each_format_module_has_an_example() -> None:
    modules = {p.stem for p in EXAMPLES.parent.glob("*.py")} - {"__init__", "csv_lines"}
    examples = {p.stem for p in EXAMPLES.iterdir()}
    named = {
        "roster": "roster",
        "sample_roster": "roster",
        "exchange_files": "payments",
        "aid_catalogue": "aid_catalogue",
        "dispatch_sheet": "dispatch_sheet",
        "statistics_census": "statistics_census",
        "pairing_seed": "pilot_pairs",
        "guidance_plan": "guidance_plan",
        "county_plan": "county_plan",
    }
    assert modules <= set(named), modules - set(named)
    assert {named[m] for m in modules} <= examples
