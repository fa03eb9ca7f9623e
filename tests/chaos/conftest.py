"""Fault tests share a table: what each copy held after each fault, printed at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.testing import server_state_dir
from tests.chaos.platform import Platform

RESULTS: list[dict[str, Any]] = []


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    """NATS, PostgreSQL, the assistance and projection services: all of this test's own."""
    system = Platform(server_state_dir("eduplan-chaos-"))
    await system.up()
    yield system
    system.down()


def record(scenario: str, **figures: Any) -> None:
    RESULTS.append({"scenario": scenario, **figures})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    columns = list(dict.fromkeys(k for row in RESULTS for k in row))
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in RESULTS)) for c in columns}
    terminalreporter.section("faults: what each copy holds afterwards")
    line = " | ".join(c.ljust(widths[c]) for c in columns)
    terminalreporter.write_line(line)
    terminalreporter.write_line("-" * len(line))
    for row in RESULTS:
        terminalreporter.write_line(
            " | ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns)
        )
