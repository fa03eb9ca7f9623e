"""The staffing report routes: registered once each, and bad query parameters refused (400)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.projection.read_models import projections, routes
from services.projection.read_models.staffing import ROUTES

NO_POOL: Any = None  # the parameters are refused before the database is touched


def test_the_staffing_routes_and_read_model_are_served() -> None:
    assert set(ROUTES) == {
        "/api/staffing/coverage",
        "/api/staffing/dispatch-plan",
        "/api/staffing/training",
        "/api/staffing/supply",
    }
    assert set(ROUTES) <= set(routes())
    assert "staffing" in [p.name for p in projections()]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/staffing/coverage", {"term": "2018-summer"}, "term"),
        ("/api/staffing/coverage", {}, "term"),
        ("/api/staffing/coverage", {"term": "2018-autumn", "county": "6108"}, "county"),
        ("/api/staffing/dispatch-plan", {"county": "x"}, "county"),
        ("/api/staffing/training", {"year": "2017"}, "year"),
        ("/api/staffing/supply", {"county": "61083100"}, "county"),
    ],
)
async def test_bad_query_parameters_are_refused_naming_them(
    path: str, params: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await ROUTES[path](NO_POOL, "reporting", params)

    assert field in str(refused.value)
