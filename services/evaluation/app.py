"""Wiring of the evaluation service: its commands and its query; nothing connects at import."""

from __future__ import annotations

from contracts.evaluation.queries import GetThresholdsInForce, ThresholdsInForce
from contracts.evaluation.types import CompulsoryStage
from services.evaluation.handlers import command_handlers, load_permissions
from services.evaluation.thresholds import ThresholdBook, load_thresholds
from shared.commandbus import add_command_endpoint, add_query_endpoint
from shared.processor import CommandProcessor
from shared.service import ServiceRuntime

SERVICE = "evaluation"


def thresholds_in_force(book: ThresholdBook, year: int) -> ThresholdsInForce:
    balance = [book.balance_for(year, stage) for stage in CompulsoryStage]
    return ThresholdsInForce(
        year=year,
        balance=[b for b in balance if b is not None],
        dual_high_dual_universal=book.universal_for(year),
    )


async def configure(runtime: ServiceRuntime) -> None:
    thresholds = load_thresholds()
    processor = CommandProcessor(runtime.store, command_handlers(thresholds), load_permissions())
    add_command_endpoint(runtime, processor)

    async def answer(query: GetThresholdsInForce) -> ThresholdsInForce:
        return thresholds_in_force(thresholds, query.year)

    add_query_endpoint(runtime.broker, SERVICE, GetThresholdsInForce, answer, runtime.namespace)
