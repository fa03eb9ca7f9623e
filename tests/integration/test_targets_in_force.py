"""A revision of a county's targets applies from its day: a report judged before it keeps the
earlier targets, one judged after uses the new ones, and a rebuild says the same.

The staffing and pairing read models are fed the events the services publish, through the
real projections into Postgres, once batch by batch and once rebuilt in one batch.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from contracts.envelope import EventEnvelope
from contracts.pairing import events as pe
from contracts.registry import spec_of
from contracts.staffing import events as se
from contracts.staffing.types import HostSchoolTarget, Range, Season
from contracts.types import Stage
from services.projection.read_models.pairing import ROUTES as PAIRING_ROUTES
from services.projection.read_models.pairing import reports as pairing_reports
from services.projection.read_models.pairing.model import PairingProjection
from services.projection.read_models.plan import progress
from services.projection.read_models.staffing import ROUTES as STAFFING_ROUTES
from services.projection.read_models.staffing import StaffingProjection
from services.projection.read_models.staffing.coverage import coverage, dispatch_plan
from services.projection.read_models.staffing.supply import supply
from services.projection.read_models.staffing.training import training_calendar
from shared.i18n import Phrase
from shared.projections import Projection, setup_projection
from tests.support.staffing import COUNTY, PILOT, ZIZHOU_HIGH

pytestmark = pytest.mark.integration

REVISED_FROM = date(2019, 9, 1)
BEFORE, AFTER = date(2019, 3, 1), date(2019, 10, 15)
"""Judged in school year 2018 (before the revision) and in school year 2019 (after it)."""

FIRST = PILOT[COUNTY]
REVISED = FIRST.model_copy(
    update={
        "new_master_teachers_per_year": Range(min=6, max=8),
        "normal_graduates_per_year": 25,
        "caravan_seasons": [Season.AUTUMN],
        "host_schools": [
            HostSchoolTarget(
                id=ZIZHOU_HIGH, name="子洲中学", teachers_per_subject=Range(min=2, max=3)
            )
        ],
    }
)


def envelopes(service: str, events: list[BaseModel]) -> list[EventEnvelope]:
    """The events as the projection receives them: one stream per stream type."""
    versions: dict[str, int] = {}
    out = []
    for position, event in enumerate(events, start=1):
        spec = spec_of(event)
        stream = f"{spec.stream_type}:{COUNTY}"
        versions[stream] = versions.get(stream, 0) + 1
        now = datetime(2019, 11, 1, tzinfo=UTC)
        out.append(
            EventEnvelope(
                event_id=uuid.uuid4(), event_type=spec.event_type, schema_version=spec.version,
                service=service, position=position, stream_id=stream,
                stream_type=spec.stream_type, version=versions[stream], county=COUNTY,
                occurred_at=now, recorded_at=now, actor="tester", department="teacher_division",
                correlation_id=uuid.uuid4(), causation_id=None, command_id=uuid.uuid4(),
                payload=event.model_dump(mode="json"),
            )
        )  # fmt: skip
    return out


async def project(
    pool: asyncpg.Pool, projection: Projection, schema: str, batches: list[list[EventEnvelope]]
) -> None:
    async with pool.acquire() as conn:
        await setup_projection(conn, schema, projection)
        for batch in batches:
            async with conn.transaction():
                await projection.apply(conn, schema, batch)


def _year(rows: list[dict[str, Any]], year: int) -> dict[str, Any]:
    return next(r for r in rows if r["year"] == year)


async def staffing_figures(pool: asyncpg.Pool, schema: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, day in (("before", BEFORE), ("after", AFTER)):
        plan = await dispatch_plan(pool, schema, COUNTY, day)
        posts = await coverage(pool, schema, "2019-spring" if day == BEFORE else "2019-autumn",
                               COUNTY, day)  # fmt: skip
        figures[name] = {
            "dispatch_2018": (_year(plan["years"], 2018)["min"], _year(plan["years"], 2018)["max"]),
            "dispatch_2019": (_year(plan["years"], 2019)["min"], _year(plan["years"], 2019)["max"]),
            "posts": {(p["min"], p["max"]) for p in posts},
            "graduates_2019": _year(await supply(pool, schema, COUNTY, day), 2019)[
                "normal_graduates_target"
            ],
            "spring_2019": _year(await training_calendar(pool, schema, COUNTY, day), 2019)[
                "spring"
            ],
        }
    return figures


async def test_staffing_reports_judged_before_a_revision_keep_the_earlier_targets(
    pool: asyncpg.Pool,
) -> None:
    events = envelopes(
        "staffing",
        [
            se.StaffingTargetsAdopted(county=COUNTY, targets=FIRST),
            se.StaffingTargetsAdopted(county=COUNTY, targets=REVISED, effective_from=REVISED_FROM),
        ],
    )

    await project(pool, StaffingProjection(), "targets_staffing", [events[:1], events[1:]])
    figures = await staffing_figures(pool, "targets_staffing")

    assert figures["before"] == {
        "dispatch_2018": (4, 13),
        "dispatch_2019": (4, 13),
        "posts": {(1, 2)},
        "graduates_2019": 20,
        "spring_2019": "pending",
    }, "judged before the revision: the first targets, for every year"
    assert figures["after"] == {
        "dispatch_2018": (4, 13),
        "dispatch_2019": (6, 8),
        "posts": {(2, 3)},
        "graduates_2019": 25,
        "spring_2019": "not_due",
    }, "judged after it: the revised targets from 2019, the first ones for 2018"

    await project(pool, StaffingProjection(), "targets_staffing_rebuilt", [events])
    assert await staffing_figures(pool, "targets_staffing_rebuilt") == figures


async def test_plan_progress_measures_a_year_by_the_staffing_targets_in_force(
    pool: asyncpg.Pool,
) -> None:
    events = envelopes(
        "staffing",
        [
            se.StaffingTargetsAdopted(county=COUNTY, targets=FIRST),
            se.StaffingTargetsAdopted(county=COUNTY, targets=REVISED, effective_from=REVISED_FROM),
        ],
    )
    await project(pool, StaffingProjection(), "targets_progress", [events])

    before = await progress.yearly_dispatch(pool, "targets_progress", COUNTY, BEFORE, {})
    after = await progress.yearly_dispatch(pool, "targets_progress", COUNTY, AFTER, {})

    assert isinstance(before.actual, Phrase)
    assert isinstance(after.actual, Phrase)
    assert "(target 4-13)" in before.actual.render("en")
    assert "(target 6-8)" in after.actual.render("en")


PAIRS = [
    pe.PairEstablished(
        county=COUNTY, helped_school_id=school, helped_school_name=school, stage=Stage.HIGH_SCHOOL,
        pair_id=f"{COUNTY}:{school}:high_school:1", helper_school_id="xian_high",
        helper_school_name="西安高级中学", responsible_division="basic_ed_2",
        start_date=date(2017, 9, 1),
    )
    for school in ("zizhou_high_school", "zizhou_no2_middle")
]  # fmt: skip


def pairing_targets(**figures: Any) -> pe.PairingTargetsAdopted:
    given: dict[str, Any] = {
        "active_pairs": 7,
        "secondments_per_side_min": 1,
        "secondments_per_side_max": 3,
        "shadowing_months_min": Decimal(1),
        "shadowing_months_max": Decimal(2),
    }
    return pe.PairingTargetsAdopted(county=COUNTY, **(given | figures))


async def pairing_figures(pool: asyncpg.Pool, schema: str) -> dict[str, Any]:
    figures = {}
    for name, day in (("before", BEFORE), ("after", AFTER)):
        summary = await pairing_reports.county_summary(pool, schema, COUNTY, day)
        pairs = await pairing_reports.pairs(pool, schema, COUNTY, day)
        figures[name] = (
            summary["target_active_pairs"],
            {str(p["secondments"]["target"]) for p in pairs},
        )
    return figures


async def test_pairing_reports_judged_before_a_revision_keep_the_earlier_targets(
    pool: asyncpg.Pool,
) -> None:
    events = envelopes(
        "pairing",
        [
            pairing_targets(),
            *PAIRS,
            pairing_targets(
                active_pairs=2, secondments_per_side_min=2, effective_from=REVISED_FROM
            ),
        ],
    )

    await project(pool, PairingProjection(), "targets_pairing", [events[:1], events[1:]])
    figures = await pairing_figures(pool, "targets_pairing")

    assert figures == {
        "before": (7, {"{'min': 1, 'max': 3}"}),
        "after": (2, {"{'min': 2, 'max': 3}"}),
    }
    await project(pool, PairingProjection(), "targets_pairing_rebuilt", [events])
    assert await pairing_figures(pool, "targets_pairing_rebuilt") == figures


async def test_reports_asked_for_no_day_are_judged_on_the_default_day_like_every_report(
    pool: asyncpg.Pool,
) -> None:
    """The county's facts stop in school year 2017, so the staffing and pairing routes judge
    on its last day of facts (as plan progress and the alerts do), not on today: the targets
    revised from 2019 do not apply yet."""
    schema = "targets_default_day"
    staffing = envelopes(
        "staffing",
        [
            se.StaffingTargetsAdopted(county=COUNTY, targets=FIRST),
            se.StaffingTargetsAdopted(county=COUNTY, targets=REVISED, effective_from=REVISED_FROM),
        ],
    )
    pairing = envelopes(
        "pairing",
        [
            pairing_targets(),
            *PAIRS,
            pairing_targets(active_pairs=2, effective_from=REVISED_FROM),
        ],
    )
    await project(pool, StaffingProjection(), schema, [staffing])
    await project(pool, PairingProjection(), schema, [pairing])

    plan = await STAFFING_ROUTES["/api/staffing/dispatch-plan"](pool, schema, {"county": COUNTY})
    county = await PAIRING_ROUTES["/api/pairing/county"](pool, schema, {"county": COUNTY})

    assert (_year(plan["years"], 2019)["min"], _year(plan["years"], 2019)["max"]) == (4, 13)
    assert county["target_active_pairs"] == 7
