"""Guidance and evaluation through the `eduplan evaluation` CLI, the evaluation and projection
services running as processes, and the bus."""

from __future__ import annotations

import json
import shlex
import urllib.error
from collections.abc import AsyncIterator

import pytest

from contracts.files.statistics_census import COLUMNS
from shared.testing import Sandbox, wait_for
from tests.e2e.conftest import System, running

pytestmark = pytest.mark.e2e

CENSUS = "--county 610831 --year 2017 --stage primary"
STATISTICS = [
    # 100 and 300 pupils: the hand-checked two-school example of the unit tests
    "dalihe_primary,子洲县大理河小学,100,500,800,240000,12,1000,6,5,3,1,1,3",
    "shiyan_primary,子洲县实验小学,300,1500,2400,600000,36,1800,18,15,9,3,3,9",
]


@pytest.fixture
async def system(sandbox: Sandbox) -> AsyncIterator[System]:
    """The evaluation and projection services as processes on the sandbox."""
    async with running(sandbox, "evaluation") as up:
        yield up


def ok(system: System, line: str, *more: str) -> str:
    """Run `eduplan evaluation <line> <more>`; it must succeed."""
    done = system.eduplan("evaluation", *shlex.split(line), *more)
    assert done.returncode == 0, (line, done.stdout, done.stderr)
    return done.stdout


async def until(system: System, path: str) -> None:
    """Wait until a report has rows (the projection caught up)."""

    async def has_rows() -> bool:
        return bool(system.get(path))

    await wait_for(has_rows, timeout=60, interval=0.2)


async def test_a_county_year_from_visits_to_title_through_the_cli(system: System) -> None:
    ok(system, "guidance adopt --county 610831 --year 2017")
    ok(
        system,
        "guidance record --county 610831 --institution zizhou_high_school --date 2017-10-12"
        " --expert 王建华 --expert 李秀英 --topic entrance_exam_quality_analysis"
        " --findings 数学薄弱",
    )
    schools = system.workdir / "schools.csv"
    schools.write_text(
        "school,name\n" + "".join(",".join(ln.split(",")[:2]) + "\n" for ln in STATISTICS),
        encoding="utf-8",
    )
    registered = ok(system, f"census register {schools} {CENSUS}")
    assert "2 registered, 0 already registered, 0 rejected" in registered

    refused = system.eduplan("evaluation", "balance", "assess", *shlex.split(CENSUS))
    assert refused.returncode == 1
    assert "missing_school_data" in refused.stderr
    assert "dalihe_primary (子洲县大理河小学)、shiyan_primary (子洲县实验小学)" in refused.stderr
    assert "尚未报送 2017 年统计数据" in refused.stderr, "the refusal is said in Chinese"

    census = system.workdir / "census.csv"
    lines = [",".join(COLUMNS), *STATISTICS, "majiacha_primary,马岔小学,0"]
    census.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partly = system.eduplan("evaluation", "census", "submit", str(census), *shlex.split(CENSUS))
    assert partly.returncode == 1
    assert "line 4" in partly.stderr
    assert "expected 14 columns, found 3" in partly.stderr
    assert "2 submitted, 0 unchanged, 1 rejected" in partly.stdout

    ok(system, f"balance assess {CENSUS}")
    await until(system, "/api/evaluation/balance?year=2017&county=610831")
    (report,) = json.loads(ok(system, "balance report --year 2017 --county 610831 --json"))
    assert (report["composite"], report["basic_balance_met"], report["quality_balance_met"]) == (
        "0.041239",
        True,
        True,
    )
    books = next(i for i in report["indicators"] if i["indicator"] == "books_per_student")
    assert (books["county_value"], books["coefficient"]) == ("7.000000", "0.247436")
    assert "0.041239" in ok(system, "balance report --year 2017 --county 610831")

    rerun = system.eduplan("evaluation", "census", "submit", str(census), *shlex.split(CENSUS))
    assert "0 submitted, 2 unchanged, 1 rejected" in rerun.stdout

    await until(system, "/api/evaluation/research-visits?year=2017&county=610831")
    missing = json.loads(ok(system, "guidance report --year 2017 --county 610831 --missing --json"))
    assert [m["institution"] for m in missing] == [
        "zizhou_experimental_primary",
        "zizhou_no2_middle_school",
        "zizhou_research_office",
    ]

    recorded = json.loads(
        ok(
            system,
            "evaluations record --county 610831 --body 鼎力评估中心 --kind third_party"
            " --scope balanced_development --date 2017-11-20 --score 91.5 --json",
        )
    )
    evaluation_id = recorded["stream_id"].removeprefix("evaluation:")
    ok(
        system,
        f"evaluations outcome --evaluation-id {evaluation_id} --outcome title_awarded"
        " --title basic_balanced_compulsory_education_county --date 2017-12-28",
        "--decided-by",
        "国务院教育督导委员会",
    )
    await until(system, "/api/evaluation/titles?county=610831")
    (title,) = json.loads(ok(system, "titles --county 610831 --json"))
    assert (title["title"], title["body"], title["decided_on"]) == (
        "basic_balanced_compulsory_education_county",
        "鼎力评估中心",
        "2017-12-28",
    )


def test_bad_input_is_refused_before_anything_is_sent(system: System) -> None:
    def usage_error(line: str) -> str:
        done = system.eduplan("evaluation", *shlex.split(line))
        assert done.returncode == 2, (line, done.stdout, done.stderr)
        return done.stderr

    usage_error("balance assess --county 610831 --year 17 --stage primary")
    usage_error("balance report --year 2017 --stage senior")
    assert "--date" in usage_error(
        "guidance record --county 610831 --institution zizhou_high_school --date 2017-13-01"
        " --expert 王建华 --topic student_growth_records"
    )
    assert "no guidance plan for county 610802" in usage_error(
        "guidance adopt --county 610802 --year 2017"
    )
    with pytest.raises(urllib.error.HTTPError) as bad_query:
        system.get("/api/evaluation/balance?year=abc")
    assert bad_query.value.code == 400


def test_the_thresholds_in_force_are_shown(system: System) -> None:
    answer = json.loads(ok(system, "balance thresholds --year 2016 --json"))

    assert [(b["id"], b["stage"], b["quality"]) for b in answer["balance"]] == [
        ("basic-balance-2012", "primary", None),
        ("basic-balance-2012", "junior", None),
    ]
    assert answer["dual_high_dual_universal"] is None
