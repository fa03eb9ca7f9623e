"""Student aid from roster file to report, through the CLI, the services and the bus."""

from __future__ import annotations

import json
import re
import signal
import time
from decimal import Decimal

import pytest

from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from shared.testing import wait_for
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e

# Hand-computed 2017-autumn amounts of the default catalogue (half the yearly amount per term):
# preschool 375; primary boarder 500 + 400; junior boarder 625 + 400; high school 1250 + 175;
# vocational 1000 + 1000 + 1500; university 1500, plus 500 travel for first-year students
# (grade 1 of 4 for 1,029 undergraduates: 258; of 3 for 675 junior-college students: 225).
EXPECTED_AUTUMN_2017 = {
    "preschool": Decimal(1152 * 375),
    "primary": Decimal(1838 * 900),
    "junior": Decimal(920 * 1025),
    "high_school": Decimal(618 * 1425),
    "vocational": Decimal(486 * 3500),
    "undergraduate": Decimal(1029 * 1500 + 258 * 500),
    "junior_college": Decimal(675 * 1500 + 225 * 500),
}


async def events_projected(system: System) -> int:
    health = system.get("/health")
    return int(health["checkpoints"]["aid_coverage"]["assistance"])


async def test_the_pilot_roster_goes_in_and_the_report_shows_everyone_aided(system: System) -> None:
    roster = system.workdir / "roster.csv"
    roster.write_text(to_csv(sample_rows()), encoding="utf-8")

    imported = system.eduplan("import-roster", str(roster))
    assert imported.returncode == 0, imported.stderr
    assert "6718 registered, 0 already registered, 0 rejected" in imported.stdout

    granted = system.eduplan("grant-aid", "--term", "2017-autumn", "--county", "610831")
    assert granted.returncode == 0, granted.stderr
    assert "6718 students granted" in granted.stdout

    # Read your writes: the grant returned once the reports included it, and they say so.
    report = system.eduplan(
        "report", "aid-coverage", "--county", "610831", "--term", "2017-autumn", "--json"
    )
    assert report.returncode == 0, report.stderr
    assert "报表依据：assistance 截至第" in report.stderr, "said in Chinese by default"
    assert "（已是最新）" in report.stderr
    rows = json.loads(report.stdout)
    assert [r["stage"] for r in rows] == [s.value for s in PILOT_COUNTS]
    for row in rows:
        expected = PILOT_COUNTS[row["stage"]]  # type: ignore[index]
        assert (row["registered"], row["aided"], row["missing"]) == (expected, expected, 0), row
        assert Decimal(row["amount_granted"]) == EXPECTED_AUTUMN_2017[row["stage"]], row
    basic = sum(
        r["registered"] for r in rows if r["stage"] not in ("undergraduate", "junior_college")
    )
    assert basic == 5014
    assert system.get("/api/aid-coverage?term=2017-autumn&county=610831") == rows
    assert system.get("/api/aid-coverage?term=2017-autumn") == rows, "province = the one county"
    assert system.get("/api/students-missing-aid?term=2017-autumn&county=610831") == []

    projected = await events_projected(system)
    assert projected > 6718, "registrations and grants were projected"

    again = system.eduplan("import-roster", str(roster))
    assert again.returncode == 0, again.stderr
    assert "0 registered, 6718 already registered, 0 rejected" in again.stdout
    regrant = system.eduplan("grant-aid", "--term", "2017-autumn", "--county", "610831")
    assert "0 students granted (0 grants), 6718 already had their aid" in regrant.stdout
    assert await events_projected(system) == projected, "a rerun recorded no new event"
    assert (
        json.loads(
            system.eduplan(
                "report", "aid-coverage", "--county", "610831", "--term", "2017-autumn", "--json"
            ).stdout
        )
        == rows
    )


async def test_a_malformed_roster_is_reported_line_by_line_and_good_lines_go_in(
    system: System,
) -> None:
    rows = sample_rows(counts=dict.fromkeys(PILOT_COUNTS, 2), seed=7)
    text = to_csv(rows).splitlines()
    bad_stage = (
        text[1].replace(",primary,", ",kindergarten,").replace(",preschool,", ",kindergarten,")
    )
    missing_column = ",".join(text[2].split(",")[:-1])
    duplicate = text[3]
    lines = [text[0], bad_stage, missing_column, *text[3:], duplicate]
    raw = (
        "\n".join(lines).encode()
        + b"\n"
        + text[4].encode().replace(b"610831,", b"\xff\xfe,", 1)
        + b"\n"
    )
    roster = system.workdir / "bad.csv"
    roster.write_bytes(raw)

    result = system.eduplan("import-roster", str(roster))
    assert result.returncode == 1
    reasons = dict(re.findall(r"^line (\d+): (.*)$", result.stderr, re.MULTILINE))
    assert sorted(map(int, reasons)) == [2, 3, len(lines), len(lines) + 1]
    assert reasons["2"].startswith("stage: Input should be")
    assert reasons["3"].startswith("expected 10 columns, found 9")
    assert reasons[str(len(lines))].startswith("duplicate student_registry_id")
    assert reasons[str(len(lines) + 1)].startswith("not valid UTF-8")
    good = len(text) - 3
    assert f"{good} registered, 0 already registered, 4 rejected" in result.stdout

    async def registered() -> bool:
        report = system.get("/api/aid-coverage?term=2017-autumn&county=610831")
        return sum(r["registered"] for r in report) == good

    await wait_for(registered, timeout=60, interval=0.2)


def test_bad_arguments_are_refused_before_anything_is_sent(system: System) -> None:
    result = system.eduplan("grant-aid", "--term", "2017-summer", "--county", "610831")
    assert result.returncode == 2
    assert "--term" in result.stderr
    missing_file = system.eduplan("import-roster", "no-such-file.csv")
    assert missing_file.returncode == 2


async def test_a_command_waits_for_the_reports_at_most_its_timeout(system: System) -> None:
    roster = system.workdir / "small.csv"
    roster.write_text(to_csv(sample_rows(counts=dict.fromkeys(PILOT_COUNTS, 3), seed=9)))
    system.processes["projection"].send_signal(signal.SIGSTOP)  # reports stand still
    try:
        started = time.monotonic()
        imported = system.eduplan("roster", "import", str(roster), EDUPLAN_REPORT_WAIT="2")
        waited = time.monotonic() - started
    finally:
        system.processes["projection"].send_signal(signal.SIGCONT)
    assert imported.returncode == 0, imported.stderr  # the commands are done all the same
    assert "21 registered" in imported.stdout
    assert "未能检查报表" in imported.stderr
    assert waited < 15, "the wait is bounded by EDUPLAN_REPORT_WAIT"
    skipped = system.eduplan("roster", "import", str(roster), "--no-wait")
    assert "正在等待报表" not in skipped.stderr
