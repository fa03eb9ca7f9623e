"""`eduplan up` starts the services on the servers it finds, and Ctrl-C stops all it started."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from shared.launcher import SERVICES
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
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
        assert json.load(response)["status"] == "ok"
    login = re.search(rf"first login +{base}/login as (\S+), password (\S+) \(shown once", text)
    assert login, text
    token = re.search(r"export EDUPLAN_REPORTING_TOKEN=(\S+)", text)
    assert token, text
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{base}/admin/projections", timeout=5)
    assert anonymous.value.code == 401
    asked = urllib.request.Request(
        f"{base}/api/me", headers={"Authorization": f"Bearer {token.group(1)}"}
    )
    with urllib.request.urlopen(asked, timeout=5) as response:
        me = json.load(response)
    assert (me["user"], me["roles"]) == (login.group(1), ["operator", "province_viewer"])
    form = urllib.parse.urlencode({"name": login.group(1), "password": login.group(2)})
    logged_in = urllib.request.Request(
        f"{base}/login", data=form.encode(), headers={"Origin": base}, method="POST"
    )
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with browser.open(logged_in, timeout=5) as response:
        assert response.url == f"{base}/", "the password opens the dashboard"
        assert b'data-testid="dashboard"' in response.read()

    up.send_signal(signal.SIGINT)
    rest, _ = up.communicate(timeout=30)
    assert up.returncode == 0, rest
    assert "stopped." in rest
    assert not any(alive(pid) for pid in pids)

    again = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "users", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert [u["name"] for u in json.loads(again.stdout)] == [login.group(1)], (
        "one first operator, kept across restarts"
    )
