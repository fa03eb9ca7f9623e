"""Read models of the evaluation service and the HTTP routes that serve them."""

from __future__ import annotations

from services.projection.http import Route
from shared.projections import Projection

PROJECTIONS: tuple[Projection, ...] = ()
ROUTES: dict[str, Route] = {}
