"""What a principal may read over HTTP: a role required, and the counties a viewer's report
covers. A county viewer who names no county reads their county when they have exactly one;
with several they must name one."""

from __future__ import annotations

from collections.abc import Mapping

from services.projection.http import HttpError
from shared.accounts.roles import Principal, Role
from shared.i18n import named, phrase

COUNTY_FREE_ROUTES = frozenset({"/api/aid-catalogue", "/api/audit/figures", "/api/freshness"})
"""Report routes with no county parameter: the same for every county (catalogues)."""


def require(principal: Principal, role: Role) -> None:
    if not principal.has(role):
        raise HttpError(
            403,
            "forbidden",
            phrase("error.role_required", user=principal.name, role=named("role", role)),
        )


def report_params(principal: Principal, path: str, params: Mapping[str, str]) -> dict[str, str]:
    """The parameters a viewer's report is answered with: a county viewer's county filled in
    where none is named; another county, or the province, refused (403)."""
    if principal.has(Role.PROVINCE_VIEWER):
        return dict(params)
    if not principal.has(Role.COUNTY_VIEWER):
        raise HttpError(403, "forbidden", phrase("error.no_viewer_role", user=principal.name))
    if path in COUNTY_FREE_ROUTES:
        return dict(params)
    own = ", ".join(principal.counties)
    county = params.get("county")
    if county is None:
        if len(principal.counties) == 1:
            return {**params, "county": principal.counties[0]}
        raise HttpError(
            403, "county_required", phrase("error.county_required", user=principal.name, own=own)
        )
    if county not in principal.counties:
        raise HttpError(
            403,
            "forbidden_county",
            phrase("error.other_county", user=principal.name, own=own, county=county),
        )
    return dict(params)
