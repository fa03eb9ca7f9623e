"""Every read model of the projection service, and every route of its HTTP API."""

from __future__ import annotations

from services.projection import alerts, assistance, audit, evaluation, pairing, staffing
from services.projection.http import Route
from shared.projections import Projection

MODULES = (assistance, staffing, pairing, evaluation, alerts, audit)


def projections() -> list[Projection]:
    return [p for module in MODULES for p in module.PROJECTIONS]


def routes() -> dict[str, tuple[Route, tuple[Projection, ...]]]:
    """Path -> the route and the projections whose tables it reads (its module's)."""
    table: dict[str, tuple[Route, tuple[Projection, ...]]] = {}
    for module in MODULES:
        clash = table.keys() & module.ROUTES.keys()
        if clash:
            raise ValueError(f"{module.__name__} repeats routes {sorted(clash)}")
        table |= {path: (route, tuple(module.PROJECTIONS)) for path, route in module.ROUTES.items()}
    return table
