"""The command line when a server is down: one clear line and exit status 2, quickly, no
traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.servers import _free_port, port_open

pytestmark = pytest.mark.integration


def eduplan(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EDUPLAN_")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_nats_unreachable_is_one_line_and_exit_2_within_ten_seconds() -> None:
    url = f"nats://127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()

    result = eduplan("aid", "grant", "--term", "2017-autumn", "--county", "610831",
                     EDUPLAN_NATS_URL=url)  # fmt: skip

    assert time.monotonic() - started < 10
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"无法连接 NATS（{url}）" in lines[0], "said in Chinese by default"

    in_english = eduplan("aid", "grant", "--term", "2017-autumn", "--county", "610831",
                         EDUPLAN_NATS_URL=url, EDUPLAN_LANG="en")  # fmt: skip
    assert f"cannot connect to NATS at {url}" in in_english.stderr


def test_reporting_unreachable_is_one_line_and_exit_2() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    result = eduplan("report", "aid-coverage", "--term", "2017-autumn",
                     EDUPLAN_REPORTING_URL=url)  # fmt: skip

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "没有应答" in result.stderr, "said in Chinese by default"
    english = eduplan("report", "aid-coverage", "--term", "2017-autumn", "--lang", "en",
                      EDUPLAN_REPORTING_URL=url)  # fmt: skip
    assert "does not answer" in english.stderr


def test_a_non_json_error_page_is_one_line_and_exit_2(tmp_path: Path) -> None:
    port = _free_port()
    page = subprocess.Popen(  # any web server that is not ours: an HTML error page
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        result = eduplan("report", "aid-coverage", "--term", "2017-autumn",
                         EDUPLAN_REPORTING_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    finally:
        page.terminate()
        page.wait()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "404" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
