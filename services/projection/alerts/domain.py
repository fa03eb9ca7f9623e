"""The Alert aggregate: one per alert key; raised once while the gap lasts, then resolved."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts.alerts.commands import RaiseAlert, ResolveAlert
from contracts.alerts.events import AlertKind, AlertRaised, AlertResolved
from shared.decider import Aggregate


@dataclass(frozen=True)
class Alert:
    county: str = ""
    kind: AlertKind | None = None
    open: bool = False


def evolve(state: Alert, event: BaseModel) -> Alert:
    match event:
        case AlertRaised():
            return Alert(county=event.county, kind=event.kind, open=True)
        case AlertResolved():
            return Alert(county=state.county, kind=state.kind, open=False)
    return state


def raise_alert(state: Alert, command: RaiseAlert) -> list[BaseModel]:
    """An open alert is not raised twice; a resolved one may be raised again (a new gap)."""
    return [] if state.open else [AlertRaised(**command.model_dump())]


def resolve(state: Alert, command: ResolveAlert) -> list[BaseModel]:
    if not state.open or state.kind is None:
        return []
    return [
        AlertResolved(
            alert_key=command.alert_key,
            kind=state.kind,
            county=state.county,
            resolved_on=command.resolved_on,
            how=command.how,
        )
    ]


ALERT = Aggregate[Alert]("alert", Alert(), evolve, lambda s: s.county)
