"""The plan-progress report: it reads the read models of every work stream."""

from __future__ import annotations

from services.projection.http import Route
from services.projection.read_models.plan.judged_on import judged_on_route
from services.projection.read_models.plan.progress import progress_route
from shared.projections import Projection

PROJECTIONS: tuple[Projection, ...] = ()
READS_WORK_STREAMS = True
"""As-of snapshots of this report are built from every work stream's read models."""
ROUTES: dict[str, Route] = {
    "/api/plan-progress": progress_route,
    "/api/judged-on": judged_on_route,
}
