"""Wiring of the pairing service: its commands; nothing connects at import."""

from __future__ import annotations

from services.pairing.handlers import command_handlers, load_permissions
from services.pairing.targets import TargetsInForce, load_targets
from shared.commandbus import add_command_endpoint
from shared.eventstore import EventStore
from shared.processor import CommandProcessor
from shared.service import ServiceRuntime

SERVICE = "pairing"


def build_processor(store: EventStore) -> CommandProcessor:
    """The service's processor: the targets in force are refreshed when a request finds a
    targets stream moved (on any replica)."""
    targets = TargetsInForce(store, load_targets())
    return CommandProcessor(
        store,
        command_handlers(targets),
        load_permissions(),
        reference={targets.STREAM_TYPE: targets.refresh},
    )


async def configure(runtime: ServiceRuntime) -> None:
    add_command_endpoint(runtime, build_processor(runtime.store))
