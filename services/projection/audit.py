"""The audit trail: every event of every service, searchable (filled in by its module)."""

from __future__ import annotations

from services.projection.http import Route
from shared.projections import Projection

PROJECTIONS: tuple[Projection, ...] = ()
ROUTES: dict[str, Route] = {}
