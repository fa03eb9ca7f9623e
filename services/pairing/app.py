"""Wiring of the pairing service: its commands; nothing connects at import."""

from __future__ import annotations

from services.pairing.handlers import command_handlers, load_permissions
from services.pairing.targets import TargetsInForce, load_targets
from shared.commandbus import add_command_endpoint
from shared.processor import CommandProcessor
from shared.service import ServiceRuntime

SERVICE = "pairing"


async def configure(runtime: ServiceRuntime) -> None:
    targets = TargetsInForce(runtime.store, load_targets())
    processor = CommandProcessor(
        runtime.store, command_handlers(targets), load_permissions(), prepare=targets.refresh
    )
    add_command_endpoint(runtime, processor)
