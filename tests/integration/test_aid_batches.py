"""The term-by-term batch work of the aid service, on real NATS and PostgreSQL: counts that
reconcile exactly, and reruns that double nothing."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from contracts.assistance.types import PaymentChannel
from contracts.files.roster import parse_roster
from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from contracts.types import Stage, last_grade
from services.cli import aid
from services.cli.common import Issuer
from services.projection.read_models.assistance import reports as aid_reports
from shared.commandbus import CommandClient
from shared.service import ServiceRuntime
from shared.testing import Sandbox, wait_for
from tests.support.projection import run_to_end, stream_last_seq

pytestmark = pytest.mark.integration
ISSUER = Issuer("aid_center")
BASIC = {
    s: n for s, n in PILOT_COUNTS.items() if s not in (Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE)
}


def nothing(_: int) -> None:
    """Progress is not shown in tests."""


async def register(client: CommandClient, rows: list[dict[str, str]]) -> None:
    """The roster of school year 2017 (the samples' grades are for 2017-18)."""
    lines = list(parse_roster(to_csv(rows).encode()))
    outcome = await aid.import_roster(client, lines, ISSUER, nothing, school_year=2017)
    assert outcome.counts["registered"] == len(rows), outcome.as_dict()


async def project(pool: asyncpg.Pool, nc: NATS, sandbox: Sandbox) -> None:
    """Wait for the relay, then bring the read models up to the end of the stream."""

    async def published() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM assistance.outbox")

    await wait_for(published, timeout=60)
    last = await stream_last_seq(nc, sandbox.namespace)
    await run_to_end(pool, sandbox.database_url, nc, sandbox.namespace, "reporting", last)


async def test_a_term_grant_over_the_pilots_5014_students_reconciles_and_reruns_to_nothing(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    await register(client, sample_rows(counts=BASIC))
    ids = await aid.registered_students(client, "610831")
    assert len(ids) == 5014

    first = await aid.grant_aid(client, ids, "2017-autumn", ISSUER, nothing)
    again = await aid.grant_aid(client, ids, "2017-autumn", ISSUER, nothing)

    # preschool 1; primary and junior boarders 2 (allowance, meals); high school 2; vocational 3
    grants = 1152 + 2 * 2758 + 2 * 618 + 3 * 486
    assert (first.counts["students_granted"], first.counts["grants"]) == (5014, grants)
    assert (again.counts["students_unchanged"], again.counts["grants"]) == (5014, 0)

    payment = {
        "term": "2017-autumn",
        "paid_on": date(2017, 11, 20),
        "channel": PaymentChannel.ONE_CARD_ACCOUNT,
        "reference": "YL-2017-11",
    }
    paid = await aid.PAY.send(client, ids, payment, ISSUER, nothing)
    repaid = await aid.PAY.send(client, ids, payment, ISSUER, nothing)
    assert (paid.counts["payments"], repaid.counts["payments"]) == (grants, 0)

    await project(pool, nc, sandbox)
    programmes = await aid_reports.programmes(pool, "reporting", "2017-autumn", "610831")
    rows = {(p["stage"], p["programme"]): p for p in programmes}
    assert rows["primary", "boarding_living_allowance"]["eligible"] == 1838
    assert rows["junior", "boarding_living_allowance"]["granted"] == 920
    assert rows["junior", "boarding_living_allowance"]["amount_granted"] == "575000.00"
    assert rows["vocational", "rain_dew_plan_subsidy"]["amount_granted"] == "729000.00"
    assert sum(p["granted"] for p in programmes) == grants
    for p in programmes:
        assert p["eligible"] == p["granted"], p
        assert p["amount_paid"] == p["amount_granted"], p
        assert p["amount_outstanding"] == "0.00", p
    coverage = await aid_reports.coverage(pool, "reporting", "2017-autumn", "610831")
    assert sum(r["missing"] for r in coverage) == 0
    assert sum(Decimal(r["amount_paid"]) for r in coverage) == sum(
        Decimal(p["amount_granted"]) for p in programmes
    )


async def test_the_yearly_promotion_moves_every_student_up_once(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    rows = sample_rows(counts=dict.fromkeys(PILOT_COUNTS, 60))
    await register(client, rows)
    final = sum(1 for r in rows if int(r["grade"]) == _last_grade(r["stage"]))

    ids = await aid.registered_students(client, "610831")
    promoted = await aid.PROMOTE.send(client, ids, {"school_year": 2018}, ISSUER, nothing)
    rerun = await aid.PROMOTE.send(client, ids, {"school_year": 2018}, ISSUER, nothing)

    assert promoted.rejected == []
    assert (promoted.counts["promoted"], promoted.counts["final_grade"]) == (
        len(rows) - final,
        final,
    )
    assert (rerun.counts["promoted"], rerun.counts["already_promoted"]) == (0, len(rows) - final)
    await project(pool, nc, sandbox)
    grades = await pool.fetch(
        "SELECT stage, grade, count(*) AS n FROM reporting.aid_students GROUP BY 1, 2"
    )
    before = {(r["stage"], int(r["grade"])) for r in rows}
    for r in grades:
        last = _last_grade(r["stage"])
        expected = sum(
            1
            for x in rows
            if x["stage"] == r["stage"]
            and (int(x["grade"]) + 1 == r["grade"] or int(x["grade"]) == r["grade"] == last)
        )
        assert r["n"] == expected, (r["stage"], r["grade"])
    assert (Stage.PRIMARY.value, 1) in before
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM reporting.aid_students WHERE stage = 'primary' AND grade = 1"
        )
        == 0
    )


def _last_grade(stage: str) -> int:
    """A student's last grade: undergraduates of the sample finish after 4 years."""
    return last_grade(Stage(stage), None)


async def test_a_roster_revision_with_five_percent_changes_reconciles_and_reruns_to_nothing(
    assistance: ServiceRuntime,
    client: CommandClient,
    pool: asyncpg.Pool,
    nc: NATS,
    sandbox: Sandbox,
) -> None:
    rows = sample_rows(counts=dict.fromkeys(PILOT_COUNTS, 300), seed=11)
    await register(client, rows)
    rng = random.Random(5)
    picked = rng.sample(range(len(rows)), k=len(rows) // 10)
    changed, dropped = set(picked[: len(rows) // 20]), set(picked[len(rows) // 20 :])
    revised = []
    for i, row in enumerate(rows):
        if i in dropped:
            continue
        revised.append({**row, "school": row["school"] + "（分校）"} if i in changed else row)
    newcomers = sample_rows(counts=dict.fromkeys(PILOT_COUNTS, 15), seed=99)
    revised += newcomers
    lines = list(parse_roster(to_csv(revised).encode()))

    outcome = await aid.revise_roster(client, lines, "610831", "2018", ISSUER, nothing)
    rerun = await aid.revise_roster(client, lines, "610831", "2018", ISSUER, nothing)

    assert outcome.rejected == []
    assert {k: outcome.counts[k] for k in ("registered", "revised", "removed", "unchanged")} == {
        "registered": len(newcomers),
        "revised": len(changed),
        "removed": len(dropped),
        "unchanged": len(rows) - len(changed) - len(dropped),
    }
    assert rerun.counts["unchanged"] == len(revised)
    assert (rerun.counts["removed"], rerun.counts["already_off_roster"]) == (0, len(dropped))
    await project(pool, nc, sandbox)
    report = await aid_reports.revision(pool, "reporting", "610831", "2018")
    assert report["counts"] == {
        "registered": len(newcomers),
        "revised": len(changed),
        "removed": len(dropped),
        "restored": 0,
    }
    assert all(c["fields"] == ["school"] for c in report["changes"] if c["change"] == "revised")
    coverage = await aid_reports.coverage(pool, "reporting", "2018-autumn", "610831")
    assert sum(r["registered"] for r in coverage) == len(revised)
