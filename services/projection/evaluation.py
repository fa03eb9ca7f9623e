"""Read models of the evaluation service and the HTTP routes that serve them."""

from __future__ import annotations

from services.projection import (
    county_plans,
    evaluation_balance,
    evaluation_guidance,
    evaluation_high_school,
    evaluation_supervision,
)
from services.projection.http import Route
from shared.projections import Projection

PROJECTIONS: tuple[Projection, ...] = (
    evaluation_guidance.GuidanceProjection(),
    evaluation_balance.BalanceProjection(),
    evaluation_supervision.SupervisionProjection(),
    evaluation_high_school.HighSchoolProjection(),
    county_plans.CountyPlansProjection(),
)
ROUTES: dict[str, Route] = {
    **evaluation_guidance.ROUTES,
    **evaluation_balance.ROUTES,
    **evaluation_supervision.ROUTES,
    **evaluation_high_school.ROUTES,
    **county_plans.ROUTES,
}
