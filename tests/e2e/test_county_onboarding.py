"""A county no file of the project mentions (Mizhi, 610827), taken on through the `eduplan` CLI
alone while the services run: its plan and targets (other figures than the pilot's), roster,
aid, staffing, pairing, evaluation and plan progress; then a revision from a date, which
earlier reports do not see."""

from __future__ import annotations

import json
import shlex
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import yaml

from contracts.files.county_plan import PILOT_PLAN
from shared.testing import Sandbox
from tests.e2e.conftest import System, running
from tests.support.builders import new_registry_id

pytestmark = pytest.mark.e2e

MIZHI = "610827"
ROSTER_COLUMNS = (
    "student_registry_id,name,gender,birth_date,county_code,school,stage,grade,boarding,"
    "household_id"
)


def mizhi_plan(active_pairs: int = 2) -> dict[str, Any]:
    """Mizhi's own plan: the pilot's format, other tasks and figures."""
    return {
        "county": {"code": MIZHI, "name": "Mizhi County", "name_zh": "米脂县"},
        "period": {"start": "2018-09-01", "end": "2020-12-31"},
        "goals": [
            {
                "id": "balanced_compulsory_education",
                "zh": "义务教育均衡发展县",
                "due": "2019-12-31",
                "title": "basic_balanced_compulsory_education_county",
            },
            {
                "id": "basic_education_modernization",
                "zh": "基本实现教育现代化",
                "due": "2020-12-31",
                "title": "education_modernization_county",
            },
        ],
        "units": {"aid_center": "资助中心", "teacher_division": "教师处", "basic_ed_2": "基教二处"},
        "tasks": [
            {
                "id": "1.2",
                "stream": "assistance",
                "zh": "基础教育段贫困学生资助",
                "target": {
                    "metric": "registered_poor_students_aided_per_term_by_stage",
                    "all": True,
                },
                "units": ["aid_center"],
                "baseline": {"value": 2, "of": "poor basic-education students"},
            },
            {
                "id": "2.1",
                "stream": "staffing",
                "zh": "名师支教",
                "target": {
                    "metric": "master_teachers_per_main_high_school_subject",
                    "min": 1,
                    "max": 3,
                },
                "units": ["teacher_division"],
                "baseline": {"value": 1, "of": "master teachers in place"},
            },
            {
                "id": "3.1",
                "stream": "pairing",
                "zh": "结对学校及数量",
                "target": {"metric": "active_pairs", "value": active_pairs},
                "units": ["basic_ed_2"],
            },
            {
                "id": "4.1",
                "stream": "evaluation",
                "zh": "教研指导",
                "target": {
                    "metric": "research_visits_per_institution_per_year",
                    "min": 2,
                    "max": 3,
                },
                "units": ["teacher_division"],
            },
        ],
        "targets": {
            "staffing": {
                "name": "Mizhi County",
                "plan_start_term": "2018-autumn",
                "plan_end_term": "2020-autumn",
                "baseline_master_teachers": 1,
                "subjects": ["mathematics", "english", "physics"],
                "host_schools": [
                    {
                        "id": "mizhi_high_school",
                        "name": "米脂中学",
                        "teachers_per_subject": {"min": 1, "max": 3},
                    }
                ],
                "new_master_teachers_per_year": {"min": 2, "max": 6},
                "caravan_seasons": ["autumn"],
                "normal_graduates_per_year": 8,
            },
            "pairing": {
                "active_pairs": active_pairs,
                "secondments_per_side_min": 1,
                "secondments_per_side_max": 2,
                "shadowing_months_min": 1,
                "shadowing_months_max": 3,
            },
            "guidance": {
                "visits_min": 2,
                "visits_max": 3,
                "institutions": [
                    {"institution": "mizhi_research_office", "name": "米脂教研室"},
                    {"institution": "mizhi_high_school", "name": "米脂中学"},
                ],
            },
        },
    }


@pytest.fixture
async def system(sandbox: Sandbox) -> AsyncIterator[System]:
    """The four work streams' services and the projection, as processes on the sandbox."""
    async with running(sandbox, "assistance", "staffing", "pairing", "evaluation") as up:
        yield up


def ok(system: System, line: str, *more: str) -> str:
    done = system.eduplan(*shlex.split(line), *more)
    assert done.returncode == 0, (line, done.stdout, done.stderr)
    return done.stdout


def write(path: Path, plan: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return str(path)


async def test_a_new_county_is_taken_on_through_the_cli_while_the_services_run(
    system: System,
) -> None:
    plan = write(system.workdir / "mizhi.yaml", mizhi_plan())
    adopted = json.loads(ok(system, "county adopt --json --plan", plan))
    assert (adopted["adopted"], adopted["rejected"]) == (6, [])  # plan, 3 guidance years, 2 targets
    again = json.loads(ok(system, "county adopt --json --plan", plan))
    assert (again.get("adopted", 0), again["unchanged"]) == (0, 6)

    # Roster and aid
    roster = system.workdir / "mizhi.csv"
    roster.write_text(
        ROSTER_COLUMNS
        + "".join(
            f"\n{new_registry_id(MIZHI)},学生{i},male,2010-03-01,{MIZHI},米脂县第一小学,"
            f"primary,3,true,6108270001000{i}"
            for i in range(2)
        )
        + "\n",
        encoding="utf-8",
    )
    ok(system, "roster import --school-year 2018", str(roster))
    granted = ok(system, "aid grant --term 2018-autumn --county", MIZHI)
    assert granted.startswith("2 students granted"), granted

    # Staffing by Mizhi's own targets: physics is a subject of Mizhi, chemistry is not
    post = f"--county {MIZHI} --host-school mizhi_high_school"
    dispatch = (
        f"staffing master-teacher dispatch {post} --name 王强"
        " --home-school 西安中学 --start 2018-autumn --end 2019-spring"
    )
    ok(system, dispatch, "--subject", "physics", "--teacher", str(uuid4()))
    refused = system.eduplan(
        *shlex.split(dispatch), "--subject", "chemistry", "--teacher", str(uuid4())
    )
    assert refused.returncode == 1
    assert "unknown_subject" in refused.stderr

    # Pairing and evaluation
    ok(
        system,
        f"pairing pair establish --county {MIZHI} --school mizhi_high_school --stage high_school"
        " --school-name 米脂中学 --helper xian_high_school --helper-name 西安高级中学"
        " --division basic_ed_2 --start 2018-09-03",
    )
    ok(
        system,
        f"evaluation guidance record --county {MIZHI} --institution mizhi_research_office"
        " --date 2018-10-10 --expert 王建华 --topic entrance_exam_quality_analysis"
        " --findings 英语薄弱",
    )

    # Plan progress of Mizhi, by its own plan, judged on one day
    progress = json.loads(
        ok(system, "county progress --json --lang en --judged-on 2018-12-01 --county", MIZHI)
    )
    tasks = {t["task_id"]: t for t in progress["tasks"]}
    chinese = json.loads(
        ok(system, "county progress --json --judged-on 2018-12-01 --county", MIZHI)
    )
    assert {t["task_id"]: t["actual"] for t in chinese["tasks"]}["3.1"] == "在结对 1 对，指标 2 对"
    assert progress["judged_on"] == "2018-12-01"
    assert sorted(tasks) == ["1.2", "2.1", "3.1", "4.1"]
    assert tasks["3.1"]["target"] == "active pairs: 2"
    assert tasks["3.1"]["actual"] == "1 of 2 pairs active"
    assert tasks["2.1"]["baseline"] == "1 master teachers in place"
    assert tasks["2.1"]["actual"].startswith("1 of 3 subject posts")
    # one visit: enough for the pilot's 1-2 a year, not for Mizhi's 2-3
    assert tasks["4.1"]["actual"] == "0 of 2 institutions visited in 2018"
    assert [g["id"] for g in progress["goals"]] == [
        "balanced_compulsory_education",
        "basic_education_modernization",
    ]

    # The province sums every county and compares them, the pilot beside Mizhi
    ok(system, "county adopt --plan", str(PILOT_PLAN))
    province = json.loads(ok(system, "county progress --json --judged-on 2018-12-01"))
    compared = {c["county"]: c for c in province["counties"]}
    assert sorted(compared) == [MIZHI, "610831"]
    assert compared[MIZHI]["statuses"]["3.1"] == tasks["3.1"]["status"]
    assert len(compared["610831"]["statuses"]) == 14
    per_task = {p["task_id"]: p for p in province["province"]}
    assert sum(v for k, v in per_task["3.1"].items() if k != "task_id") == 2

    # A revision from a date: earlier reports keep the earlier target
    revised = write(system.workdir / "mizhi-2019.yaml", mizhi_plan(active_pairs=3))
    ok(system, "county adopt --effective-from 2019-09-01 --plan", revised)
    before = json.loads(ok(system, "county show --json --judged-on 2019-06-30 --county", MIZHI))
    after = json.loads(ok(system, "county show --json --judged-on 2019-10-01 --county", MIZHI))
    assert (before["plan"]["revision"], after["plan"]["revision"]) == (1, 2)
    early = json.loads(ok(system, "county progress --json --judged-on 2018-12-01 --county", MIZHI))
    late = json.loads(ok(system, "county progress --json --judged-on 2019-10-01 --county", MIZHI))
    assert {t["task_id"]: t["target"] for t in early["tasks"]}["3.1"] == "在结对数：2"
    assert {t["task_id"]: t["target"] for t in late["tasks"]}["3.1"] == "在结对数：3"
    listed = {c["county"]: c for c in json.loads(ok(system, "county list --json"))}
    assert len(listed[MIZHI]["revisions"]) == 2

    # One reporting date: the CLI and the API judge on the same default day, Mizhi's last fact
    cli = json.loads(ok(system, "county progress --json --county", MIZHI))
    api = system.get(f"/api/plan-progress?county={MIZHI}")
    assert cli["judged_on"] == api["judged_on"] == "2018-10-10"
    assert cli["judged_on_rule"] == "last_fact_date"
