"""Master teachers from dispatch sheet to coverage report, through the `eduplan staffing` CLI,
the staffing and projection services as processes, and the bus."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.files.county_plan import PILOT_PLAN, read_plan
from shared import i18n
from shared.testing import Sandbox, wait_for
from tests.e2e.conftest import running
from tests.support.staffing import COUNTY, SUBJECTS, dispatch_sheet, pilot_teachers

pytestmark = pytest.mark.e2e
PILOT_TARGETS = read_plan(PILOT_PLAN).targets.staffing.model_dump_json()  # type: ignore[union-attr]
ADOPT = ("targets", "adopt", "--county", COUNTY, "--targets", PILOT_TARGETS)


@dataclass
class StaffingSystem:
    env: dict[str, str]
    reporting_url: str
    workdir: Path
    token: str

    def eduplan(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", "staffing", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.reporting_url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


@pytest.fixture
async def system(sandbox: Sandbox) -> AsyncIterator[StaffingSystem]:
    """The staffing and projection services as processes on the sandbox."""
    async with running(sandbox, "staffing") as up:
        yield StaffingSystem(up.env, up.reporting_url, up.workdir, up.token)


def projected(system: StaffingSystem) -> int:
    return int(system.get("/health")["checkpoints"]["staffing"]["staffing"])


async def test_the_pilots_master_teachers_go_in_by_sheet_and_the_report_shows_coverage(
    system: StaffingSystem,
) -> None:
    teachers = pilot_teachers()
    first, then = teachers[:10], teachers[10:]
    (system.workdir / "2017.csv").write_text(dispatch_sheet(first), encoding="utf-8")
    (system.workdir / "2018.csv").write_text(dispatch_sheet(then), encoding="utf-8")

    adopted = system.eduplan(*ADOPT)
    assert adopted.returncode == 0, adopted.stderr
    imported = system.eduplan("master-teacher", "import", "2017.csv")
    assert imported.returncode == 0, imported.stderr
    assert (
        "10 dispatched, 0 already dispatched, 10 arrivals recorded, 0 rejected" in imported.stdout
    )
    physics = teachers[3]
    at_post = ["--county", COUNTY, "--host-school", "zizhou_high_school", "--subject", "physics"]
    ended = system.eduplan(
        "master-teacher", "end", *at_post, "--teacher", str(physics.teacher_id),
        "--last-term", "2018-spring",
    )  # fmt: skip
    assert ended.returncode == 0, ended.stderr
    imported = system.eduplan("master-teacher", "import", "2018.csv", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {
        "dispatched": 9,
        "arrived": 9,
        "rejected": [],
    }

    third = system.eduplan(
        "master-teacher", "dispatch", *at_post, "--name", "钱多", "--home-school", "西安中学",
        "--start", "2018-autumn", "--end", "2019-spring",
    )  # fmt: skip
    assert third.returncode == 1
    assert "post_full" in third.stderr

    def coverage_rows() -> list[dict[str, Any]]:
        report = system.eduplan(
            "report", "coverage", "--term", "2019-spring", "--county", COUNTY, "--json"
        )
        assert report.returncode == 0, report.stderr
        return list(json.loads(report.stdout))

    async def all_covered() -> bool:
        return [r["teachers"] for r in coverage_rows()] == [2] * len(SUBJECTS)

    await wait_for(all_covered, timeout=60, interval=0.3)
    rows = coverage_rows()
    assert [r["subject"] for r in rows] == list(SUBJECTS)
    assert {(r["arrived"], r["min"], r["max"], r["status"]) for r in rows} == {
        (2, 1, 2, "on_target")
    }
    table = system.eduplan("report", "coverage", "--term", "2017-autumn", "--county", COUNTY)
    assert i18n.label("subject", "geography", "zh") in table.stdout
    assert i18n.label("status", "missing", "zh") in table.stdout
    english = system.eduplan(
        "report", "coverage", "--term", "2017-autumn", "--county", COUNTY, "--lang", "en"
    )
    assert "Geography" in english.stdout
    assert "missing" in english.stdout

    plan = json.loads(
        system.eduplan("report", "dispatch-plan", "--county", COUNTY, "--json").stdout
    )
    assert plan["baseline"] == {"expected": 5, "in_place": 5}
    assert [(y["year"], y["dispatched"], y["status"]) for y in plan["years"]][:2] == [
        (2017, 5, "within"),
        (2018, 9, "within"),
    ]

    events = projected(system)
    again = system.eduplan("master-teacher", "import", "2017.csv")
    assert again.returncode == 0, again.stderr
    assert "0 dispatched, 10 already dispatched, 0 arrivals recorded, 0 rejected" in again.stdout
    shown = system.eduplan("master-teacher", "show", "--teacher", str(physics.teacher_id), "--json")
    assert json.loads(shown.stdout)["assignments"] == [
        {
            "county": COUNTY,
            "host_school": "zizhou_high_school",
            "subject": "physics",
            "start_term": "2016-autumn",
            "end_term": "2018-spring",
        }
    ]
    assert projected(system) == events, "a rerun recorded no new event"


async def test_training_and_supply_are_recorded_and_reported(system: StaffingSystem) -> None:
    assert system.eduplan(*ADOPT).returncode == 0
    visit = system.eduplan(
        "training", "caravan", "--county", COUNTY, "--term", "2017-autumn", "--on", "2017-11-08",
        "--visiting-school", "陕西师范大学附属中学", "--lessons", "high_school:mathematics:2",
        "--lessons", "junior:chinese:3",
    )  # fmt: skip
    assert visit.returncode == 0, visit.stderr
    order = system.eduplan(
        "training", "order", "--county", COUNTY, "--on", "2017-09-20", "--audience",
        "school_inspector", "--topic", "课堂观察", "--seats", "30", "--json",
    )  # fmt: skip
    assert order.returncode == 0, order.stderr
    order_id = json.loads(order.stdout)["order_id"]
    too_many = system.eduplan(
        "training", "fulfil", "--order", order_id, "--on", "2017-11-15", "--attendance", "31",
        "--trainer", "陈晓东",
    )  # fmt: skip
    assert too_many.returncode == 1
    assert "attendance_exceeds_seats" in too_many.stderr
    quota = system.eduplan("supply", "quota", "--county", COUNTY, "--year", "2017", "--quota", "40")
    assert quota.returncode == 0, quota.stderr
    placed = system.eduplan(
        "supply", "graduate", "--county", COUNTY, "--name", "孙悦", "--school", "子洲县实验中学",
        "--subject", "english", "--on", "2017-09-01",
    )  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    assert "graduate_id:" in placed.stdout

    async def reported() -> bool:
        rows = system.get(f"/api/staffing/supply?county={COUNTY}")
        return bool(rows) and rows[0]["normal_graduates_placed"] == 1

    await wait_for(reported, timeout=60, interval=0.3)
    training = json.loads(system.eduplan("report", "training", "--county", COUNTY, "--json").stdout)
    first = training[0]
    assert (first["year"], first["autumn"], first["spring"], first["model_lessons"]) == (
        2017,
        "held",
        "pending",
        5,
    ), "judged on the county's last day of facts (autumn 2017): spring has not begun"
    after_spring = system.get(f"/api/staffing/training?county={COUNTY}&judged_on=2018-09-30")
    assert after_spring[0]["spring"] == "missing", "judged after the spring: no caravan came"
    assert (first["orders_placed"], first["orders_outstanding"]) == (1, 1)
    supply = json.loads(system.eduplan("report", "supply", "--json").stdout)
    assert (supply[0]["special_post_quota"], supply[0]["normal_graduates_target"]) == (40, 20)
    assert supply[0]["county"] is None, "without a county: the province"


def test_bad_arguments_are_refused_before_anything_is_sent(system: StaffingSystem) -> None:
    misordered = system.eduplan(
        "master-teacher", "dispatch", "--county", COUNTY, "--host-school", "zizhou_high_school",
        "--subject", "mathematics", "--name", "钱多", "--home-school", "西安中学",
        "--start", "2019-autumn", "--end", "2019-spring",
    )  # fmt: skip
    assert misordered.returncode == 2
    assert "planned_end_term 2019-spring is before start_term 2019-autumn" in misordered.stderr
    bad_term = system.eduplan("report", "coverage", "--term", "2019-summer")
    assert bad_term.returncode == 2
    assert "--term" in bad_term.stderr
    assert system.eduplan("master-teacher", "import", "no-such-file.csv").returncode == 2
    no_targets = system.eduplan("targets", "adopt", "--county", COUNTY)
    assert no_targets.returncode == 1
    assert "targets_required" in no_targets.stderr
    assert system.eduplan(*ADOPT).returncode == 0
    unknown_subject = system.eduplan(
        "master-teacher", "dispatch", "--county", COUNTY, "--host-school", "zizhou_high_school",
        "--subject", "music", "--name", "钱多", "--home-school", "西安中学",
        "--start", "2019-autumn", "--end", "2020-spring",
    )  # fmt: skip
    assert unknown_subject.returncode == 1
    assert "unknown_subject" in unknown_subject.stderr
