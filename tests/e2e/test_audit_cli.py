"""An auditor's day with `eduplan audit`, against the services running as processes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from contracts.files.sample_roster import sample_rows, to_csv
from contracts.types import Stage
from shared.testing import wait_for
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e

TERM = "2017-autumn"
ROSTER = {Stage.PRESCHOOL: 5, Stage.PRIMARY: 9, Stage.JUNIOR: 6, Stage.HIGH_SCHOOL: 4}


def ok(system: System, *args: str, **env: str) -> Any:
    result = system.eduplan(*args, "--json", **env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


async def test_an_auditor_traces_a_figure_searches_and_exports_the_trail(system: System) -> None:
    roster = system.workdir / "roster.csv"
    roster.write_text(to_csv(sample_rows("610831", ROSTER, seed=3)), encoding="utf-8")
    # Two clerks; without a NATS user (development), EDUPLAN_ACTOR names the actor.
    ok(system, "roster", "import", str(roster), "--school-year", "2017", EDUPLAN_ACTOR="zhang_aid")
    ok(system, "aid", "grant", "--term", TERM, "--county", "610831", EDUPLAN_ACTOR="wang_aid")

    async def audited() -> bool:
        status = {r["projection"]: r for r in system.get("/admin/projections")}
        return status["audit"]["sources"]["assistance"]["lag"] == 0 and all(
            v["lag"] == 0 for r in status.values() for v in r["sources"].values()
        )

    await wait_for(audited, timeout=60, interval=0.2)

    # The figure "aided" of primary pupils: its grants, as the programme report counts them.
    programmes = system.get(f"/api/aid-programmes?term={TERM}&county=610831")
    granted = sum(r["granted"] for r in programmes if r["stage"] == "primary")
    behind = ok(
        system, "audit", "behind", "aid-coverage", "--term", TERM, "--county", "610831",
        "--stage", "primary", "--limit", "1000",
    )  # fmt: skip
    assert behind["count"] == len(behind["events"]) == granted > 0
    assert {e["event_type"] for e in behind["events"]} == {"AidGranted"}
    assert {e["payload"]["stage"] for e in behind["events"]} == {"primary"}

    # Search by who did it, a page at a time.
    grants = ok(system, "audit", "search", "--actor", "wang_aid", "--limit", "10000")
    assert {e["event_type"] for e in grants["events"]} == {"StudentAidAssessed", "AidGranted"}
    first = ok(system, "audit", "search", "--actor", "wang_aid", "--limit", "5")
    second = ok(
        system, "audit", "search", "--actor", "wang_aid", "--limit", "5", "--after", first["next"]
    )
    assert [e["event_id"] for e in first["events"] + second["events"]] == [
        e["event_id"] for e in grants["events"][:10]
    ]
    registered = ok(system, "audit", "search", "--actor", "zhang_aid")
    assert registered["count"] == sum(ROSTER.values())
    assert not any("personal" in e["payload"] for e in registered["events"])
    assert all(e["has_personal"] for e in registered["events"])

    table = system.eduplan("audit", "search", "--event-type", "StudentRegistered", "--limit", "3")
    assert table.returncode == 0, table.stderr
    assert "StudentRegistered" in table.stdout
    assert "zhang_aid" in table.stdout
    assert "more: add --after" in table.stderr

    # Export to CSV in pages of 7: every row once, as the search lists them.
    exported = ok(
        system, "audit", "export", "grants.csv", "--actor", "wang_aid", "--page-size", "7"
    )
    assert exported["rows"] == grants["count"]
    text = (system.workdir / "grants.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeffevent_id,"), "a byte-order mark, so Excel reads UTF-8"
    assert text.count("\ufeff") == 1, "once, though it came in pages"
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["event_id"] for r in rows] == [e["event_id"] for e in grants["events"]]
    assert [json.loads(r["payload"]) for r in rows] == [e["payload"] for e in grants["events"]]

    traced = system.eduplan(
        "audit", "behind", "aid-coverage", "--term", TERM, "--county", "610831",
        "--stage", "primary", "--export", "primary.csv",
    )  # fmt: skip
    assert traced.returncode == 0, traced.stderr
    assert f"{granted} events written to primary.csv" in traced.stderr

    # Mistakes are usage errors, said plainly.
    bad_date = system.eduplan("audit", "search", "--since", "yesterday")
    assert bad_date.returncode == 2
    assert "since" in bad_date.stderr
    unknown = system.eduplan("audit", "behind", "aid-happiness", "--term", TERM)
    assert unknown.returncode == 2
    assert "没有数字“aid-happiness”" in unknown.stderr, "the server's refusal, in Chinese"
    assert "aid-coverage" in [f["figure"] for f in ok(system, "audit", "figures")]

    # Figures of the other work streams take their own parameters; none recorded here yet.
    census = ok(system, "audit", "behind", "balance", "--year", "2017", "--stage", "junior")
    assert json.loads(census["search"]["payload"]) == {"year": 2017, "stage": "junior"}
    assert census["count"] == 0
    no_year = system.eduplan("audit", "behind", "balance", "--stage", "junior")
    assert no_year.returncode == 2
    assert "balance 需要参数 year" in no_year.stderr
