"""Capacity figures for deploy/README.md, measured on the three-node cluster (streams R3,
secured, every service a process): one pilot county's whole roster imported and granted
through the command line, the rate the store records at, and how long the read models take
to hold it all. Slow (a county of 6,718 students), hence here with the faults (make chaos)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from contracts.files.sample_roster import sample_rows, to_csv
from shared.testing import server_state_dir
from tests.chaos.conftest import record
from tests.support.cluster import (
    COUNTY,
    MODULES,
    ClusterPlatform,
    cluster_platform,
    jetstream_ready,
)

pytestmark = pytest.mark.chaos
TERM = "2017-autumn"


@pytest.fixture
async def platform() -> AsyncIterator[ClusterPlatform]:
    with cluster_platform(server_state_dir("eduplan-capacity-")) as system:
        await jetstream_ready(system.cluster)
        system.provision()
        await system.started(*(system.start(s) for s in MODULES))
        yield system


async def test_one_county_term_on_the_cluster(platform: ClusterPlatform) -> None:
    roster = platform.folder / "roster.csv"
    rows = sample_rows(county=COUNTY)
    roster.write_text(to_csv(rows), encoding="utf-8")

    started = time.monotonic()
    imported = platform.clerk("roster", "import", str(roster))
    import_s = time.monotonic() - started
    assert imported.returncode == 0, imported.stderr[-3000:]
    started = time.monotonic()
    granted = platform.clerk("aid", "grant", "--term", TERM, "--county", COUNTY)
    grant_s = time.monotonic() - started
    assert granted.returncode == 0, granted.stderr[-3000:]
    recorded = time.monotonic()
    counts = await platform.settled(timeout=300)
    settle_s = time.monotonic() - recorded

    events = counts["assistance events"]
    assert counts["students in store"] == len(rows)
    figures = {
        "students": len(rows),
        "events": events,
        "import (s)": round(import_s, 1),
        "grant (s)": round(grant_s, 1),
        "recorded (events/s)": round(events / (import_s + grant_s)),
        "read models complete after the last command (s)": round(settle_s, 1),
    }
    print(f"\none county's term on the cluster: {figures}")
    record("capacity: one county's roster and grants, cluster R3", **figures)
