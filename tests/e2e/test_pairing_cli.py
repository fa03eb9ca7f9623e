"""School pairing through the `eduplan pairing` CLI, the pairing and projection services as
processes, and the bus: seed, secondments, shadowing, sharing, reports, and usage errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.testing import Sandbox, wait_for
from tests.e2e.conftest import System, running

pytestmark = pytest.mark.e2e

HIGH_SCHOOL = ["--county", "610831", "--school", "zizhou_high_school", "--stage", "high_school"]
SECONDMENT = [
    *HIGH_SCHOOL,
    "--name", "王建华", "--role", "vice_principal", "--direction", "helper_to_helped",
    "--start", "2017-09-15", "--end", "2018-01-15", "--form", "full-time on site",
    "--content", "teaching management", "--department", "personnel",
]  # fmt: skip
SHADOWING = [*HIGH_SCHOOL, "--name", "李静", "--subject", "mathematics", "--start", "2017-10-09"]


@pytest.fixture
async def system(sandbox: Sandbox) -> AsyncIterator[System]:
    """The pairing and projection services as processes on the sandbox."""
    async with running(sandbox, "pairing") as up:
        yield up


def ok(system: System, *args: str) -> str:
    done = system.eduplan("pairing", *args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def report(system: System, *args: str) -> Any:
    return json.loads(ok(system, "report", *args, "--json"))


async def test_the_pilot_is_seeded_worked_and_reported_through_the_cli(system: System) -> None:
    seeded = json.loads(ok(system, "seed", "--json"))
    assert (seeded["established"], seeded["targets_adopted"], seeded["rejected"]) == (7, 1, [])
    again = ok(system, "seed")
    assert "0 pairs established, 7 already established, 0 rejected" in again
    assert "targets: 0 adopted, 1 unchanged" in again

    for _ in range(3):
        assert "seconded" in ok(system, "second", *SECONDMENT)
    fourth = system.eduplan("pairing", "second", *SECONDMENT)
    assert fourth.returncode == 1
    assert "too_many_secondments" in fourth.stderr

    unexplained = system.eduplan("pairing", "shadow", *SHADOWING, "--end", "2017-10-20")
    assert unexplained.returncode == 1
    assert "shadowing_outside_target" in unexplained.stderr
    short = ["--end", "2017-10-20", "--reason", "autumn exams", "--json"]
    assert json.loads(ok(system, "shadow", *SHADOWING, *short))["status"] == "accepted"
    ok(system, "shadow", *SHADOWING, "--end", "2017-12-08")

    lesson = [
        *HIGH_SCHOOL, "--name", "陈明", "--given-by", "subject_leader", "--subject", "physics",
        "--on", "2017-10-18", "--title", "Newton's second law", "--weak-subject",
    ]  # fmt: skip
    ok(system, "share", "lesson", *lesson)
    milestone = [
        "--county", "610831", "--school", "zizhou_high_school",
        "--milestone", "rule_of_law_governance", "--on", "2018-03-30",
        "--evidence", "charter approved",
    ]  # fmt: skip
    ok(system, "school-system", "milestone", *milestone)
    kindergarten = ["--county", "610831", "--school", "zizhou_no2_kindergarten"]
    suspension = ["--stage", "kindergarten", "--on", "2017-09-20", "--reason", "rebuilding"]
    ok(system, "pair", "suspend", *kindergarten, *suspension, "--department", "basic_ed_3")

    async def projected() -> bool:
        return bool(report(system, "county", "--county", "610831")["suspended_pairs"] == 1)

    await wait_for(projected, timeout=60, interval=0.3)
    county = report(system, "county", "--county", "610831", "--on", "2017-10-01")
    assert {k: county[k] for k in ("target_active_pairs", "active_pairs", "meets_target")} == {
        "target_active_pairs": 7,
        "active_pairs": 6,
        "meets_target": False,
    }
    assert county["pairs_with_a_side_below_minimum"] == 6, "no active pair has both sides"
    assert (county["model_lessons"], county["milestones_achieved"]) == (1, 1)

    (pair,) = [
        p
        for p in report(system, "pairs", "--county", "610831", "--on", "2017-10-01")
        if p["helped_school"]["id"] == "zizhou_high_school"
    ]
    assert pair["secondments"]["helper_to_helped"] == {"on_day": 3, "total": 3}
    assert pair["secondments"]["sides_below_minimum"] == ["helped_to_helper"]
    assert pair["shadowing"] == {"periods": 2, "months": "2.39", "outside_target": 1}
    assert pair["lessons"]["weak_subject_model_lessons"] == 1
    flagged = report(system, "shadowing", "--county", "610831", "--outside-target-only")
    assert [(s["teacher_name"], s["months"], s["exception_reason"]) for s in flagged] == [
        ("李静", "0.39", "autumn exams")
    ]
    table = ok(system, "report", "pairs", "--county", "610831", "--on", "2017-10-01")
    assert "子洲中学" in table
    assert "3 / 1-3" in table


def replaced(args: list[str], option: str, value: str) -> list[str]:
    at = args.index(option) + 1
    return [*args[:at], value, *args[at + 1 :]]


def test_bad_options_are_refused_before_anything_is_sent(system: System) -> None:
    backwards = system.eduplan("pairing", "second", *replaced(SECONDMENT, "--end", "2017-01-01"))
    assert backwards.returncode == 2
    assert "end_date is before start_date" in backwards.stderr
    direction = system.eduplan("pairing", "second", *replaced(SECONDMENT, "--direction", "up"))
    assert direction.returncode == 2
    assert "--direction" in direction.stderr
    vocational = [*HIGH_SCHOOL[:-1], "vocational"]
    wrong_stage = system.eduplan("pairing", "pair", "resume", *vocational, "--on", "2018-01-01")
    assert wrong_stage.returncode == 2
    assert "--stage" in wrong_stage.stderr
    county = system.eduplan("pairing", "report", "pairs", "--county", "6108")
    assert county.returncode == 2
    assert "--county" in county.stderr
    missing = system.eduplan("pairing", "seed", "no-such-seed.toml")
    assert missing.returncode == 2
