"""Seed data of a county's plan as commands: the guidance plan's institutions per county."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from contracts.evaluation.commands import AdoptGuidancePlan

GUIDANCE_PLANS = Path(__file__).parent / "examples" / "guidance_plan.toml"


class SeedError(ValueError):
    """The seed file has no usable entry for the request."""


def guidance_plan(county: str, year: int, path: Path = GUIDANCE_PLANS) -> AdoptGuidancePlan:
    with path.open("rb") as f:
        plans = tomllib.load(f)
    if county not in plans:
        raise SeedError(f"{path.name} has no guidance plan for county {county}")
    try:
        return AdoptGuidancePlan.model_validate({**plans[county], "county": county, "year": year})
    except ValidationError as exc:
        raise SeedError(f"{path.name}, county {county}: {exc}") from None
