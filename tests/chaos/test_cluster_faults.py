"""The whole platform on a three-node JetStream cluster, losing a node and a service replica
in the middle of the work: a node kill -9 during a roster import and during a grant run; one of
two replicas of a domain service and of the projection service kill -9 mid-batch. The work
finishes; events in PostgreSQL = messages in JetStream = read-model figures; the node rejoins
and catches up; the other replica takes over, and the takeover times are printed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts.files.sample_roster import PILOT_COUNTS, sample_rows, to_csv
from shared.projections import lock_key
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


def finished_or_rerun(platform: ClusterPlatform, process: Any, *args: str) -> str:
    """A command line whose service was moving to another node when it asked (no responders
    for longer than its resends) says so, exit 2; the clerk runs it again, which does the
    rest, once."""
    out, err = process.communicate(timeout=300)
    assert "Traceback" not in err, err[-3000:]
    if process.returncode == 2 and ("is it running?" in err or "服务是否在运行" in err):
        again = platform.clerk(*args)
        assert again.returncode == 0, again.stderr[-3000:]
        assert "Traceback" not in again.stderr, again.stderr[-3000:]
        return again.stdout
    assert process.returncode == 0, err[-3000:]
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
    importing_args = ("roster", "import", roster(platform))
    importing = platform.clerk_in_background(*importing_args)
    await platform.recording("StudentRegistered", at_least=300)
    assert importing.poll() is None, "the import is still under way"
    first = await kill_the_leader_and_bring_it_back(platform)
    assert "registered" in finished_or_rerun(platform, importing, *importing_args)

    granting_args = ("aid", "grant", "--term", TERM, "--county", COUNTY)
    granting = platform.clerk_in_background(*granting_args)
    await platform.recording("AidGranted", at_least=100)
    assert granting.poll() is None, "the grant run is still under way"
    second = await kill_the_leader_and_bring_it_back(platform)
    finished_or_rerun(platform, granting, *granting_args)

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
    except (urllib.error.URLError, OSError):  # not serving yet, killed, or too slow
        return {}


IDLE = ("standby", "starting")
"""States of a runner that applies nothing."""


async def lock_holders(
    platform: ClusterPlatform, read_models: set[str]
) -> dict[int, tuple[int, int]]:
    """Advisory lock of each read model -> the PostgreSQL backend holding it and the client
    port of that backend's connection."""
    keys = [lock_key("reporting", name) for name in read_models]
    conn = await platform.database()
    try:
        rows = await conn.fetch(
            "SELECT l.objid::bigint AS key, l.pid, a.client_port FROM pg_locks l"
            " JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory'"
            " AND l.granted AND l.objid::bigint = ANY($1::bigint[])",
            keys,
        )
    finally:
        await conn.close()
    return {r["key"]: (r["pid"], r["client_port"]) for r in rows}


def replica_of(platform: ClusterPlatform, port: int, keys: list[str]) -> str:
    """Which replica's process owns the local TCP port of a connection (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    for key in keys:
        fds = Path(f"/proc/{platform.processes[key].pid}/fd")
        for fd in fds.iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                    return key
    raise AssertionError(f"no replica owns port {port}")


async def one_runner_per_read_model(platform: ClusterPlatform, keys: list[str]) -> set[str]:
    """Every read model has exactly one active runner among the replicas; their names."""
    names: set[str] = set()

    async def exactly_one() -> bool:
        answers = [health(platform, k).get("read_models", {}) for k in keys]
        every = set().union(*(a.keys() for a in answers))
        active = [n for a in answers for n, s in a.items() if s["state"] not in IDLE]
        names.clear()
        names.update(every)
        return all(answers) and sorted(active) == sorted(every)

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
        assert importing.poll() is None, "the import is still under way"
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
    held = await lock_holders(platform, read_models)
    assert len(held) == len(read_models), "every read model has its runner"
    owners = {pid: replica_of(platform, port, projections) for pid, port in held.values()}
    active = max(projections, key=lambda k: list(owners.values()).count(k))
    dying = {pid for pid, owner in owners.items() if owner == active}
    assert granting.poll() is None, "the grant run is still under way"
    killed_at = time.monotonic()
    platform.kill(active)

    async def took_over() -> bool:
        now = await lock_holders(platform, read_models)
        return len(now) == len(read_models) and not {p for p, _ in now.values()} & dying

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
