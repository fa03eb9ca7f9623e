"""The assistance service's command processing on a test's own event store."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.envelope import CommandResult
from services.assistance.app import build_processor, seed_catalogue
from shared.commandbus import new_command
from shared.eventstore import EventStore
from shared.processor import CommandProcessor
from tests.support.builders import register_student


async def processor_for(
    store: EventStore, max_attempts: int = 5, with_catalogue: bool = True
) -> CommandProcessor:
    """The service's own processor, with the default catalogue loaded as at first start
    (unless `with_catalogue` is False: then the store holds only what the test writes)."""
    processor, catalogue = await build_processor(store)
    processor.max_attempts = max_attempts
    if with_catalogue:
        await seed_catalogue(processor, catalogue)
    return processor


async def register_students(
    processor: CommandProcessor, count: int, county: str = "610831", batch: int = 100
) -> list[CommandResult]:
    results: list[CommandResult] = []
    for start in range(0, count, batch):
        commands = [
            new_command(register_student(county=county), department="aid_center")
            for _ in range(min(batch, count - start))
        ]
        results += await processor.handle(commands)
    return results


def ids(results: Sequence[CommandResult]) -> list[str]:
    return [r.stream_id for r in results if r.status == "accepted"]
