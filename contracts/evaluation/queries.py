"""Read-only requests answered by the evaluation service from its own data."""

from __future__ import annotations

from pydantic import Field

from contracts.evaluation.types import BalanceThresholds, UniversalThresholds, Year
from contracts.types import Contract


class GetThresholdsInForce(Contract):
    """Which thresholds the service would apply to an assessment of this year."""

    year: Year


class ThresholdsInForce(Contract):
    year: Year
    balance: list[BalanceThresholds] = Field(description="One per stage; empty if none applies.")
    dual_high_dual_universal: UniversalThresholds | None = Field(
        description="Minimum rates, if a set applies."
    )
