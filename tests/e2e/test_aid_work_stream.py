"""A county's year of student-aid work through the `eduplan` CLI, against the services as
processes: grant, pay, a dropout and its return, a catalogue change, university rosters and
reports, public funds, promotion."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.files.aid_catalogue import DEFAULT_CATALOGUE
from contracts.files.sample_roster import sample_rows, to_csv
from contracts.types import Stage
from shared.testing import wait_for
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def ok(system: System, *args: str) -> Any:
    """Run an eduplan command with --json; it must succeed; return its JSON."""
    result = system.eduplan(*args, "--json")
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


async def settled(system: System, check: Any) -> None:
    """Wait until the read models show what `check` expects."""

    async def done() -> bool:
        return bool(check())

    await wait_for(done, timeout=60, interval=0.2)


async def test_a_year_of_aid_work_through_the_command_line(system: System) -> None:
    rows = sample_rows(counts=dict.fromkeys(Stage, 4), seed=3)
    roster = system.workdir / "roster.csv"
    roster.write_text(to_csv(rows), encoding="utf-8")
    imported = ok(system, "roster", "import", str(roster), "--school-year", "2017")
    assert imported["registered"] == len(rows)

    granted = ok(system, "aid", "grant", "--term", "2017-autumn", "--county", "610831")
    assert granted["students_granted"] == len(rows)
    paid = ok(
        system,
        "aid",
        "pay",
        "--term",
        "2017-autumn",
        "--county",
        "610831",
        "--paid-on",
        "2017-11-20",
        "--reference",
        "YL-2017-11",
    )
    assert paid["payments"] == granted["grants"]

    def programmes() -> Any:
        return system.get("/api/aid-programmes?term=2017-autumn&county=610831")

    await settled(system, lambda: sum(p["granted"] for p in programmes()) == granted["grants"])
    report = ok(system, "report", "aid-programmes", "--term", "2017-autumn", "--county", "610831")
    assert all(p["amount_paid"] == p["amount_granted"] for p in report)
    assert all(p["amount_outstanding"] == "0.00" for p in report)

    pupil = next(r["student_registry_id"] for r in rows if r["stage"] == "primary")
    ok(
        system,
        "roster",
        "leave",
        "--student",
        pupil,
        "--reason",
        "dropped_out",
        "--on",
        "2017-12-01",
    )
    await settled(system, lambda: system.get("/api/dropout-alerts?county=610831"))
    alerts = ok(system, "report", "dropout-alerts", "--county", "610831")
    assert [a["registry_id"] for a in alerts] == [pupil]
    ok(
        system,
        "roster",
        "return",
        "--student",
        pupil,
        "--county",
        "610831",
        "--school",
        "子洲县实验小学",
        "--stage",
        "primary",
        "--grade",
        "2",
        "--on",
        "2018-03-01",
        "--boarding",
    )
    await settled(system, lambda: not system.get("/api/dropout-alerts?county=610831"))
    resolved = ok(system, "report", "dropout-alerts", "--county", "610831", "--status", "resolved")
    assert resolved[0]["resolution"] == "returned_to_school"

    raised = system.workdir / "catalogue.toml"
    raised.write_text(
        DEFAULT_CATALOGUE.read_text(encoding="utf-8").replace(
            'amounts = { preschool = "750.00" }', 'amounts = { preschool = "1000.00" }'
        ),
        encoding="utf-8",
    )
    ok(system, "catalogue", "load", str(raised), "--effective-from", "2018-spring")

    def preschool_grant(term: str) -> str | None:
        found = system.get(f"/api/aid-catalogue?term={term}")
        return next(
            (p["amounts"]["preschool"] for p in found if p["programme"] == "preschool_grant"), None
        )

    await settled(system, lambda: preschool_grant("2018-spring") == "1000.00")
    assert preschool_grant("2017-autumn") == "750.00", "the past keeps its amounts"

    dispatched = ok(
        system,
        "university",
        "dispatch",
        "--county",
        "610831",
        "--school-year",
        "2017",
        "--on",
        "2017-10-01",
        "--due-on",
        "2017-12-31",
    )
    university_students = [r for r in rows if r["stage"] in ("undergraduate", "junior_college")]
    assert dispatched["students"] == len(university_students)
    again = ok(
        system,
        "university",
        "dispatch",
        "--county",
        "610831",
        "--school-year",
        "2017",
        "--on",
        "2017-10-01",
        "--due-on",
        "2017-12-31",
    )
    assert again["unchanged"] == dispatched["dispatched"]
    first = university_students[0]
    report_file = system.workdir / "report.csv"
    report_file.write_text(
        "student_registry_id,channel,amount,tier\n"
        f"{first['student_registry_id']},national_grant,3000.00,2\n"
        f"{first['student_registry_id']},work_study,1200.00,\n",
        encoding="utf-8",
    )
    ok(
        system,
        "university",
        "report",
        str(report_file),
        "--county",
        "610831",
        "--university",
        first["school"],
        "--school-year",
        "2017",
        "--received-on",
        "2018-01-15",
    )

    loan = ["aid", "loan", "--student", first["student_registry_id"], "--school-year", "2017"]
    loan += ["--bank", "陕西省农村信用社"]
    recorded = ok(system, *loan, "--amount", "8000.00")
    assert recorded["event_types"] == ["StudentLoanRecorded"]
    too_much = system.eduplan(*loan, "--amount", "8000.01")
    assert too_much.returncode == 2, too_much.stderr
    assert "--amount" in too_much.stderr
    assert "nothing was sent" in too_much.stderr

    def dispatch_rows() -> Any:
        return system.get(
            "/api/university-dispatches?county=610831&school_year=2017&today=2018-02-01"
        )

    await settled(system, lambda: any(d["reports"] for d in dispatch_rows()))
    statuses = {d["university"]: d["status"] for d in dispatch_rows()}
    assert statuses.pop(first["school"]) == "reported late"
    assert set(statuses.values()) <= {"missing"}

    ok(
        system,
        "funds",
        "request",
        "--county",
        "610831",
        "--request-id",
        "ZZ-2017-01",
        "--school-year",
        "2017",
        "--students",
        "5014",
        "--rate",
        "700.00",
        "--on",
        "2017-09-15",
    )
    ok(
        system,
        "funds",
        "answer",
        "--county",
        "610831",
        "--request-id",
        "ZZ-2017-01",
        "--decision",
        "partly_approved",
        "--amount",
        "2000000.00",
        "--on",
        "2017-11-01",
    )
    await settled(
        system, lambda: system.get("/api/funding-requests?county=610831")[0]["answered_on"]
    )
    (request,) = ok(system, "report", "funding-requests", "--county", "610831")
    assert (request["requested_amount"], request["decision"], request["approved_amount"]) == (
        "3509800.00",
        "partly_approved",
        "2000000.00",
    )
    mismatch = system.eduplan(
        "funds",
        "answer",
        "--county",
        "610831",
        "--request-id",
        "ZZ-2017-01",
        "--decision",
        "approved",
        "--amount",
        "1.00",
        "--on",
        "2017-11-02",
    )
    assert mismatch.returncode == 1
    assert "already_answered" in mismatch.stderr

    promoted = ok(system, "roster", "promote", "--county", "610831", "--school-year", "2018")
    last_grade = {"primary": "6", "undergraduate": "4"}  # a 4-year programme by default
    finals = sum(1 for r in rows if r["grade"] == last_grade.get(r["stage"], "3"))
    assert promoted["final_grade"] == finals
    assert promoted["promoted"] == len(rows) - finals
