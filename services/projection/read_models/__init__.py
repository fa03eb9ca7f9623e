"""Every read model of the projection service, and every route of its HTTP API."""

from __future__ import annotations

from services.projection.http import Route
from services.projection.read_models import (
    alerts,
    assistance,
    audit,
    evaluation,
    pairing,
    plan,
    staffing,
)
from shared.projections import Projection

WORK_STREAMS = (assistance, staffing, pairing, evaluation)
MODULES = (*WORK_STREAMS, alerts, audit, plan)


def projections() -> list[Projection]:
    return [p for module in MODULES for p in module.PROJECTIONS]


def routes() -> dict[str, tuple[Route, tuple[Projection, ...]]]:
    """Path -> the route and the projections whose tables it reads (its module's, or every
    work stream's for reports across them)."""
    work_streams = tuple(p for m in WORK_STREAMS for p in m.PROJECTIONS)
    table: dict[str, tuple[Route, tuple[Projection, ...]]] = {}
    for module in MODULES:
        clash = table.keys() & module.ROUTES.keys()
        if clash:
            raise ValueError(f"{module.__name__} repeats routes {sorted(clash)}")
        reads = work_streams if getattr(module, "READS_WORK_STREAMS", False) else module.PROJECTIONS
        table |= {path: (route, tuple(reads)) for path, route in module.ROUTES.items()}
    return table
