"""deploy/nats/cluster.conf run as a real three-node cluster on this machine: the services'
streams get the replicas the setting asks for, and a service connected to one node keeps
working on the others when that node dies (nats-py learns them from the cluster, and gets
the credentials as options, since it would not take them from the URL to a learned node)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest

from shared.jetstream import ensure_stream, server_options
from shared.servers import _free_port, _nats_binary, port_open, terminate
from tests.integration.test_deploy_files import CLUSTER_CONF, NATS_CONF, _test_env

pytestmark = pytest.mark.integration


@dataclass
class Node:
    name: str
    client_port: int
    work: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        terminate(self.process)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[Node]]:
    """Three nodes of cluster.conf, each with its own ports and store, routed to each other."""
    names = ["nats-1", "nats-2", "nats-3"]
    client_ports = [_free_port() for _ in names]
    route_ports = [_free_port() for _ in names]
    env = _test_env()
    for n, port in enumerate(route_ports, start=1):
        env[f"NATS_ROUTE_{n}"] = f"nats-route://route:{env['NATS_ROUTE_PASSWORD']}@127.0.0.1:{port}"
    nodes = []
    try:
        for name, client_port, route_port in zip(names, client_ports, route_ports, strict=True):
            work = tmp_path / name
            shutil.copytree(NATS_CONF.parent, work)  # the configs and what they include
            # A later key replaces an earlier one; includes are relative to the including file.
            (work / "test.conf").write_text(
                f"include ./{CLUSTER_CONF.name}\n"
                f'jetstream {{ store_dir: "{work / "jetstream"}" }}\n'
                "http_port: 0\n"
            )
            command = [_nats_binary(), "-c", str(work / "test.conf"), "-a", "127.0.0.1"]
            command += ["-p", str(client_port), "--cluster_listen"]
            command += [f"nats://127.0.0.1:{route_port}", "-l", str(work / "nats.log")]
            process = subprocess.Popen(
                command,
                env={**env, "NATS_SERVER_NAME": name},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            nodes.append(Node(name, client_port, work, process))
        deadline = time.monotonic() + 15
        for node in nodes:
            while not port_open("127.0.0.1", node.client_port, timeout=0.1):
                assert node.process.poll() is None, (node.work / "nats.log").read_text()
                assert time.monotonic() < deadline, f"{node.name} did not start"
                time.sleep(0.05)
        yield nodes
    finally:
        for node in nodes:
            node.stop()


async def test_a_service_keeps_publishing_to_three_replicas_when_its_node_dies(
    cluster: list[Node],
) -> None:
    first = cluster[0]
    env = _test_env()
    operator = await nats.connect(
        **server_options(  # type: ignore[arg-type]
            f"nats://operator:{env['NATS_OPERATOR_PASSWORD']}@127.0.0.1:{first.client_port}"
        )
    )
    ojs = operator.jetstream(timeout=5)
    deadline = time.monotonic() + 30
    while True:  # JetStream answers once the three nodes have elected a meta leader
        try:
            await ensure_stream(ojs, "assistance", replicas=3)  # eduplan provision
            break
        except Exception:
            assert time.monotonic() < deadline, (first.work / "nats.log").read_text()[-2000:]
            await asyncio.sleep(0.5)
    await operator.close()
    url = f"nats://assistance:{env['NATS_ASSISTANCE_PASSWORD']}@127.0.0.1:{first.client_port}"
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    nc = await nats.connect(
        **server_options(url),  # type: ignore[arg-type]
        reconnected_cb=on_reconnect,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
    )
    try:
        js = nc.jetstream(timeout=5)
        assert (await js.stream_info("ASSISTANCE")).config.num_replicas == 3
        await ensure_stream(js, "assistance", replicas=3)  # a service start keeps them
        info = await js.stream_info("ASSISTANCE")
        assert info.config.num_replicas == 3
        assert info.cluster is not None
        assert len(info.cluster.replicas or []) == 2, "a leader and two followers"
        before = await js.publish("events.assistance.610831.student.C1", b"{}")

        first.stop()
        await asyncio.wait_for(reconnected.wait(), timeout=20)
        assert nc.connected_url is not None
        assert nc.connected_url.port != first.client_port, "on a node it learned"

        deadline = time.monotonic() + 30
        while True:  # the stream elects a new leader among the two left
            try:
                after = await js.publish("events.assistance.610831.student.C2", b"{}")
                break
            except Exception:
                assert time.monotonic() < deadline, "no stream leader after the node died"
                await asyncio.sleep(0.5)
        assert after.seq == before.seq + 1, "nothing lost, nothing doubled"
    finally:
        await nc.close()
