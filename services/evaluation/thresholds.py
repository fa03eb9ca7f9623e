"""Thresholds as data: which limits apply to an assessment of a given year.

A set applies from its `applies_from` year until a later set replaces it. The file is checked
as a whole when loaded; a file with any mistake is refused rather than half applied.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.evaluation.types import (
    BalanceThresholds,
    CompulsoryStage,
    Indicator,
    QualityThresholds,
    UniversalThresholds,
)
from services.evaluation.indicators import QUALITY_STANDARDS

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")


class ThresholdsError(ValueError):
    """The thresholds file cannot be used; nothing of it applies."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _QualitySpec(_Strict):
    coefficient_max: dict[CompulsoryStage, Decimal]
    standards_required: int = Field(ge=0, le=len(QUALITY_STANDARDS))
    missed_standard_min_share: Decimal = Field(ge=0, le=1)
    standards: dict[CompulsoryStage, dict[Indicator, Decimal]]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for stage in CompulsoryStage:
            if stage not in self.coefficient_max:
                raise ValueError(f"coefficient_max has no {stage.value} limit")
            given = set(self.standards.get(stage, {}))
            if given != set(QUALITY_STANDARDS):
                wanted = sorted(i.value for i in QUALITY_STANDARDS)
                raise ValueError(f"standards.{stage.value} must name exactly {wanted}")
            if any(v <= 0 for v in self.standards[stage].values()):
                raise ValueError(f"standards.{stage.value}: every standard is above 0")
        return self


class _BalanceSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    applies_from: int = Field(ge=2000, le=2100)
    composite_max: dict[CompulsoryStage, Decimal]
    quality: _QualitySpec | None = None

    @model_validator(mode="after")
    def _both_stages(self) -> Self:
        missing = [s.value for s in CompulsoryStage if s not in self.composite_max]
        if missing:
            raise ValueError(f"composite_max has no limit for {missing}")
        return self

    def for_stage(self, stage: CompulsoryStage) -> BalanceThresholds:
        quality = self.quality
        return BalanceThresholds(
            id=self.id,
            applies_from=self.applies_from,
            stage=stage,
            composite_max=self.composite_max[stage],
            quality=QualityThresholds(
                coefficient_max=quality.coefficient_max[stage],
                standards_required=quality.standards_required,
                missed_standard_min_share=quality.missed_standard_min_share,
                standards=quality.standards[stage],
            )
            if quality
            else None,
        )


class _FileSpec(_Strict):
    balance: list[_BalanceSpec] = []
    dual_high_dual_universal: list[UniversalThresholds] = []

    @model_validator(mode="after")
    def _one_set_per_year(self) -> Self:
        for kind, sets in (
            ("balance", self.balance),
            ("dual_high_dual_universal", self.dual_high_dual_universal),
        ):
            years = [s.applies_from for s in sets]
            ids = [s.id for s in sets]
            if len(set(years)) != len(years) or len(set(ids)) != len(ids):
                raise ValueError(f"{kind}: two sets share an id or an applies_from year")
        return self


@dataclass(frozen=True)
class ThresholdBook:
    """Every threshold set of the file, newest first."""

    balance: tuple[_BalanceSpec, ...]
    universal: tuple[UniversalThresholds, ...]

    def balance_for(self, year: int, stage: CompulsoryStage) -> BalanceThresholds | None:
        found = next((s for s in self.balance if s.applies_from <= year), None)
        return found.for_stage(stage) if found else None

    def universal_for(self, year: int) -> UniversalThresholds | None:
        return next((s for s in self.universal if s.applies_from <= year), None)


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> ThresholdBook:
    try:
        with path.open("rb") as f:
            spec = _FileSpec.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdsError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ThresholdsError(f"{path}: {reasons}") from None

    def newest_first(s: _BalanceSpec | UniversalThresholds) -> int:
        return -s.applies_from

    return ThresholdBook(
        tuple(sorted(spec.balance, key=newest_first)),
        tuple(sorted(spec.dual_high_dual_universal, key=newest_first)),
    )
