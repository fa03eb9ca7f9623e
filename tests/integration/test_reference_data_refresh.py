"""Reference data a service folds in memory from its own streams (a county's adopted targets)
is refreshed when a request finds one of those streams moved: the check rides on the request's
first read, so a county adopted on one replica applies to the very next request on another,
and a request when nothing moved costs no query of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from contracts.envelope import Accepted, Rejected
from contracts.staffing import commands as c
from services.staffing.app import build_processor
from services.staffing.assignments import AssignmentProcessor
from shared.commandbus import new_command
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.testing import Sandbox
from tests.support.staffing import COUNTY, PILOT, dispatch

pytestmark = pytest.mark.integration


@pytest.fixture
async def replicas(sandbox: Sandbox) -> AsyncIterator[tuple[AssignmentProcessor, ...]]:
    """Two replicas of the staffing service: pools and processors of their own, one store."""
    pools: list[asyncpg.Pool] = []
    processors = []
    for _ in range(2):
        pool = await create_pool(sandbox.database_url, max_size=2)
        pools.append(pool)
        store = EventStore(pool, "staffing")
        await store.setup()
        processors.append(build_processor(store))
    yield tuple(processors)
    for pool in pools:
        await pool.close()


def counting_refreshes(processor: AssignmentProcessor) -> list[int]:
    calls: list[int] = []
    (stream_type, refresh), *_ = processor.reference.items()

    async def counted() -> None:
        calls.append(1)
        await refresh()

    processor.reference[stream_type] = counted
    return calls


async def test_targets_adopted_on_one_replica_apply_at_once_on_the_other(
    replicas: tuple[AssignmentProcessor, AssignmentProcessor],
) -> None:
    one, other = replicas
    before = await other.handle([new_command(dispatch(), department="teacher_division")])
    assert isinstance(before[0], Rejected), "no targets adopted yet: nothing to admit against"

    adopt = c.AdoptStaffingTargets(county=COUNTY, targets=PILOT[COUNTY])
    (adopted,) = await one.handle([new_command(adopt, department="teacher_division")])
    assert isinstance(adopted, Accepted)

    (after,) = await other.handle([new_command(dispatch(), department="teacher_division")])
    assert isinstance(after, Accepted), after


async def test_the_targets_are_reloaded_only_when_a_targets_stream_moved(
    replicas: tuple[AssignmentProcessor, AssignmentProcessor],
) -> None:
    one, other = replicas
    refreshes = counting_refreshes(other)
    adopt = c.AdoptStaffingTargets(county=COUNTY, targets=PILOT[COUNTY])
    assert isinstance((await one.handle([new_command(adopt, department="office")]))[0], Accepted)

    for subject in ("mathematics", "physics", "chemistry"):
        (result,) = await other.handle(
            [new_command(dispatch(subject=subject), department="teacher_division")]
        )
        assert isinstance(result, Accepted), result
    assert len(refreshes) == 1, "loaded once, then nothing moved"

    revised = PILOT[COUNTY].model_copy(update={"normal_graduates_per_year": 25})
    revise = c.AdoptStaffingTargets(county=COUNTY, targets=revised)
    assert isinstance((await one.handle([new_command(revise, department="office")]))[0], Accepted)
    await other.handle([new_command(dispatch(subject="english"), department="teacher_division")])
    assert len(refreshes) == 2, "the revision on the other replica moved the targets stream"
