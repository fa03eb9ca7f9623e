"""Contracts of the alerts service: a task of the plan behind its target."""

from __future__ import annotations

from contracts.alerts import commands as c
from contracts.alerts import events as e
from contracts.specs import CommandSpec, EventSpec, Upcaster

EVENTS: tuple[EventSpec, ...] = (
    EventSpec("alerts", "alert", "AlertRaised", 1, e.AlertRaisedV1),
    EventSpec("alerts", "alert", "AlertRaised", 2, e.AlertRaised),
    EventSpec("alerts", "alert", "AlertResolved", 1, e.AlertResolved),
)
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("alerts", "RaiseAlert", c.RaiseAlert),
    CommandSpec("alerts", "ResolveAlert", c.ResolveAlert),
)
UPCASTERS: dict[tuple[str, int], Upcaster] = {("AlertRaised", 1): e.alert_raised_v1_to_v2}
