"""The whole platform on a three-node JetStream cluster, losing a node and a service replica
in the middle of the work: a node kill -9 during a roster import and during a grant run; one of
two replicas of a domain service and of the projection service kill -9 mid-batch. The work
finishes; events in PostgreSQL = messages in JetStream = read-model figures; the node rejoins
and catches up; the other replica takes over, and the takeover times are printed."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from shared.testing import server_state_dir, wait_for
from tests.chaos.conftest import record
from tests.support.cluster import (
    COUNTY,
    MODULES,
    ClusterPlatform,
    caught_up,
    cluster_platform,
    jetstream_ready,
    stream_leader,
)

pytestmark = pytest.mark.chaos
TERM = "2017-autumn"
STUDENTS = dict.fromkeys(PILOT_COUNTS, 400)  # 2,800 students
EXPECTED = sum(STUDENTS.values())


@pytest.fixture
async def platform() -> AsyncIterator[ClusterPlatform]:
    with cluster_platform(server_state_dir("eduplan-cluster-chaos-")) as system:
        await jetstream_ready(system.cluster)
        system.provision()
        yield system


def roster(platform: ClusterPlatform) -> str:
    path = platform.folder / "roster.csv"
    path.write_text(to_csv(sample_rows(counts=STUDENTS, seed=11)), encoding="utf-8")
    return str(path)


def finished(process: Any, timeout: float = 300) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    return str(out)


async def kill_the_leader_and_bring_it_back(platform: ClusterPlatform) -> str:
    """kill -9 the node leading the ASSISTANCE stream; start it again a second later."""
    nc = await platform.cluster.connect()
    try:
        leader = await stream_leader(nc, "ASSISTANCE")
    finally:
        await nc.close()
    platform.cluster.kill(leader)
    await asyncio.sleep(1.0)
    platform.cluster.start(leader)
    return leader


async def test_a_node_killed_during_an_import_and_during_a_grant(
    platform: ClusterPlatform,
) -> None:
    await platform.started(*(platform.start(s) for s in MODULES))
    importing = platform.clerk_in_background("roster", "import", roster(platform))
    await platform.recording("StudentRegistered", at_least=300)
    first = await kill_the_leader_and_bring_it_back(platform)
    assert "registered" in finished(importing)

    granting = platform.clerk_in_background("aid", "grant", "--term", TERM, "--county", COUNTY)
    await platform.recording("AidGranted", at_least=100)
    second = await kill_the_leader_and_bring_it_back(platform)
    finished(granting)

    counts = await platform.settled()
    assert counts["students in store"] == EXPECTED
    assert counts["grants in store"] > 0
    nc = await platform.cluster.connect()
    try:
        await caught_up(nc)  # the restarted nodes hold every message again
    finally:
        await nc.close()
    record(
        f"cluster node kill -9 mid-import ({first}) and mid-grant ({second})",
        students=counts["students in store"],
        **{"events in PostgreSQL": counts["assistance events"]},
        **{"messages in JetStream": counts["assistance messages"]},
        **{"students in read model": counts["students in read model"]},
        **{
            "grants (store / read model)": f"{counts['grants in store']}"
            f" / {counts['grants in read model']}"
        },
    )


def health(platform: ClusterPlatform, key: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{platform.http_ports[key]}/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return dict(json.load(answer))
    except urllib.error.HTTPError as exc:  # 503 while a source waits: still a state
        return dict(json.load(exc))
    except urllib.error.URLError:  # not serving yet, or killed
        return {}


def active_read_models(platform: ClusterPlatform, key: str) -> set[str]:
    states = health(platform, key).get("read_models", {})
    return {name for name, s in states.items() if s["state"] not in ("standby", "starting")}


async def one_runner_per_read_model(platform: ClusterPlatform, keys: list[str]) -> set[str]:
    """Each read model has exactly one active runner among the replicas; the names."""
    names: set[str] = set()

    async def exactly_one() -> bool:
        active = [active_read_models(platform, k) for k in keys]
        every = set().union(*active)
        names.clear()
        names.update(every)
        return bool(every) and sum(len(a) for a in active) == len(every)

    await wait_for(exactly_one, timeout=60, interval=0.3)
    return names


async def test_a_replica_killed_mid_batch_hands_over_to_the_other(
    platform: ClusterPlatform,
) -> None:
    keys = [platform.start(s, replica) for replica in (1, 2) for s in MODULES]
    await platform.started(*keys)
    projections = ["projection#1", "projection#2"]
    read_models = await one_runner_per_read_model(platform, projections)

    importing = platform.clerk_in_background("roster", "import", roster(platform))
    await platform.recording("StudentRegistered", at_least=300)
    relay = next(k for k in ("assistance#1", "assistance#2") if "relay_active" in platform.log(k))
    other = "assistance#2" if relay == "assistance#1" else "assistance#1"
    conn = await platform.database()
    try:
        before = int(await conn.fetchval("SELECT count(*) FROM assistance.events"))
        killed_at = time.monotonic()
        platform.kill(relay)

        async def relay_moved() -> bool:
            return "relay_active" in platform.log(other)

        async def answered() -> bool:
            return int(await conn.fetchval("SELECT count(*) FROM assistance.events")) > before

        await wait_for(answered, timeout=60, interval=0.05)
        command_takeover = time.monotonic() - killed_at
        await wait_for(relay_moved, timeout=60, interval=0.05)
        relay_takeover = time.monotonic() - killed_at
    finally:
        await conn.close()
    assert "registered" in finished(importing)

    granting = platform.clerk_in_background("aid", "grant", "--term", TERM, "--county", COUNTY)
    await platform.recording("AidGranted", at_least=100)
    active = max(projections, key=lambda k: len(active_read_models(platform, k)))
    standby = projections[1 - projections.index(active)]
    killed_at = time.monotonic()
    platform.kill(active)

    async def took_over() -> bool:
        return bool(active_read_models(platform, standby) == read_models)

    await wait_for(took_over, timeout=60, interval=0.05)
    projection_takeover = time.monotonic() - killed_at
    finished(granting)

    platform.start("projection", int(active[-1]))  # back as the standby
    await platform.started(active)
    assert await one_runner_per_read_model(platform, projections) == read_models
    counts = await platform.settled()
    assert counts["students in store"] == EXPECTED
    assert counts["grants in store"] > 0
    assert relay_takeover < 10, relay_takeover
    assert projection_takeover < 10, projection_takeover
    figures = {
        "commands answered again after (s)": round(command_takeover, 2),
        "relay moved after (s)": round(relay_takeover, 2),
        "read models moved after (s)": round(projection_takeover, 2),
    }
    print(f"\ntakeover after kill -9 of one of two replicas: {figures}")
    record(
        "one of two replicas kill -9 (assistance mid-import, projection mid-grant)",
        students=counts["students in store"],
        **{"events in PostgreSQL": counts["assistance events"]},
        **{"messages in JetStream": counts["assistance messages"]},
        **figures,
    )
