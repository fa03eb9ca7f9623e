"""The whole platform on a three-node JetStream cluster (deploy/nats/cluster.conf, secured):
streams with three replicas, every service on the seed list, the event stores partitioned by
stream (`eduplan provision --partition-events`), the aid slice and one command of every work
stream, and every copy agreeing afterwards. The node faults are in
tests/chaos/test_cluster_faults.py (make chaos)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contracts.files.county_plan import PILOT_PLAN
from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from shared.testing import server_state_dir
from tests.support.cluster import (
    COUNTY,
    MODULES,
    STREAMS,
    ClusterPlatform,
    caught_up,
    cluster_platform,
    jetstream_ready,
)

pytestmark = pytest.mark.e2e
TERM = "2017-autumn"


@pytest.fixture
async def platform() -> AsyncIterator[ClusterPlatform]:
    with cluster_platform(server_state_dir("eduplan-cluster-")) as system:
        await jetstream_ready(system.cluster)
        system.provision("--partition-events")  # event stores partitioned by stream
        await system.started(*(system.start(s) for s in MODULES))
        yield system


def ok(platform: ClusterPlatform, *args: str) -> str:
    done = platform.clerk(*args)
    assert done.returncode == 0, (args, done.stdout, done.stderr[-3000:])
    assert "Traceback" not in done.stderr
    return done.stdout


async def test_every_work_stream_runs_on_three_replicated_nodes(platform: ClusterPlatform) -> None:
    nc = await platform.cluster.connect()
    try:
        js = nc.jetstream(timeout=5)
        for stream in STREAMS:
            info = await js.stream_info(stream)
            assert info.config.num_replicas == 3, stream
        roster = platform.folder / "roster.csv"
        roster.write_text(to_csv(sample_rows(counts=dict.fromkeys(PILOT_COUNTS, 20))), "utf-8")

        assert "registered" in ok(platform, "roster", "import", str(roster))
        ok(platform, "aid", "grant", "--term", TERM, "--county", COUNTY)
        # the county's plan: a command to the staffing, pairing and evaluation services each
        adopted = ok(platform, "county", "adopt", "--plan", str(PILOT_PLAN))
        assert "0 rejected" in adopted, adopted

        counts = await platform.settled()
        conn = await platform.database()
        try:
            kind = await conn.fetchval(
                "SELECT relkind::text FROM pg_class WHERE oid = 'assistance.events'::regclass"
            )
        finally:
            await conn.close()
        assert kind == "p", "the platform ran on partitioned event stores"
        assert counts["students in store"] == 20 * len(PILOT_COUNTS)
        assert counts["grants in store"] > 0
        for service in ("staffing", "pairing", "evaluation"):
            assert counts[f"{service} events"] >= 1, service
        await caught_up(nc)
    finally:
        await nc.close()
    for key in platform.processes:
        assert "Traceback" not in platform.log(key), platform.log(key)[-3000:]
