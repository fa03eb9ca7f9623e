"""`eduplan up` starts the services on the servers it finds, and Ctrl-C stops all it started."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from services.cli.up import SERVICES
from shared.testing import Sandbox
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_up_prints_where_everything_is_and_ctrl_c_stops_it(sandbox: Sandbox) -> None:
    port = free_port()
    env = sandbox.env(EDUPLAN_HTTP_PORT=str(port), EDUPLAN_LOG_LEVEL="WARNING")
    up = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "up"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert up.stdout is not None
    output = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = up.stdout.readline()
        output.append(line)
        if "press Ctrl-C" in line or not line:
            break
    text = "".join(output)
    assert "eduplan is up" in text, text
    assert f"NATS           {sandbox.nats_url}" in text
    assert "(configured)" in text
    pids = [int(p) for p in re.findall(r"pid (\d+)", text)]
    assert len(pids) == len(SERVICES)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        assert json.load(response)["status"] == "ok"

    up.send_signal(signal.SIGINT)
    rest, _ = up.communicate(timeout=30)
    assert up.returncode == 0, rest
    assert "stopped." in rest
    assert not any(alive(pid) for pid in pids)
