"""The pairing targets per county: data in targets.toml, checked as a whole when loaded.

The domain enforces the maxima and the shadowing range; AdoptPairingTargets copies a county's
targets into an event so the read models compare against the numbers the service enforces.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.pairing.types import Months
from contracts.types import CountyCode

DEFAULT_TARGETS = Path(__file__).with_name("targets.toml")
HUNDREDTH = Decimal("0.01")


class TargetsError(ValueError):
    """The targets file cannot be used; nothing of it applies."""


@dataclass(frozen=True)
class CountyTargets:
    active_pairs: int | None
    secondments_min: int
    secondments_max: int
    shadowing_min: Decimal
    shadowing_max: Decimal


class _Counts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int = Field(ge=0)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError("min is above max")
        return self


class _MonthRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Months
    max: Months

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError("min is above max")
        return self


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secondments_per_side: _Counts
    shadowing_months: _MonthRange


class _County(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active_pairs: int | None = Field(None, ge=0)
    secondments_per_side: _Counts | None = None
    shadowing_months: _MonthRange | None = None


class _TargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: _Defaults
    counties: dict[CountyCode, _County] = {}


@dataclass(frozen=True)
class PairingTargets:
    defaults: _Defaults
    counties: dict[str, _County]

    def for_county(self, county: str) -> CountyTargets:
        """The county's own figures where it has them, the defaults elsewhere."""
        own = self.counties.get(county, _County())
        secondments = own.secondments_per_side or self.defaults.secondments_per_side
        shadowing = own.shadowing_months or self.defaults.shadowing_months
        return CountyTargets(
            own.active_pairs,
            secondments.min,
            secondments.max,
            shadowing.min.quantize(HUNDREDTH),
            shadowing.max.quantize(HUNDREDTH),
        )


def load_targets(path: Path = DEFAULT_TARGETS) -> PairingTargets:
    try:
        with path.open("rb") as f:
            spec = _TargetsFile.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise TargetsError(f"{path}: {reasons}") from None
    return PairingTargets(spec.defaults, spec.counties)
