"""Read models of the evaluation service and the HTTP routes that serve them."""

from __future__ import annotations

from services.projection.http import Route
from services.projection.read_models.evaluation import balance as evaluation_balance
from services.projection.read_models.evaluation import county_plans
from services.projection.read_models.evaluation import guidance as evaluation_guidance
from services.projection.read_models.evaluation import high_school as evaluation_high_school
from services.projection.read_models.evaluation import supervision as evaluation_supervision
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
