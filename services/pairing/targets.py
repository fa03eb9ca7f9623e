"""The pairing targets per county: the province's default ranges in targets.toml (checked as a
whole when loaded), each county's own figures adopted by command, as events.

The domain enforces the maxima and the shadowing range of `TargetsInForce.for_county`: the
county's adopted figures in force on the command's business day (a secondment's or a
shadowing period's first day), or the defaults while it has adopted none. A `[counties.X]` table of
the file is an example of a county's figures only (tests read it); the service ignores it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.pairing.events import PairingTargetsAdopted
from contracts.pairing.types import Months
from contracts.types import CountyCode
from shared.eventstore import EventStore
from shared.processor import payload_of
from shared.revisions import Revision, in_force_or_first

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

    def defaults_only(self) -> CountyTargets:
        return PairingTargets(self.defaults, {}).for_county("")

    def for_county(self, county: str, on: date | None = None) -> CountyTargets:
        """The county's own figures where it has them, the defaults elsewhere (the file has
        one set of figures per county, whatever the day `on`)."""
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


class TargetsInForce:
    """The province's defaults and every revision of every county's adopted targets, reloaded
    before a request where a targets stream moved, so a county adopted while the service runs
    applies at once. A decision uses the county's targets in force on its business day."""

    STREAM_TYPE = "pairing_targets"

    def __init__(self, store: EventStore, config: PairingTargets) -> None:
        self.store = store
        self.defaults = config.defaults_only()
        self.versions: dict[str, int] = {}
        self.adopted: dict[str, list[Revision[CountyTargets]]] = {}

    async def refresh(self) -> None:
        moved = await self.store.load_moved_streams(self.STREAM_TYPE, self.versions)
        for events in moved.values():
            revisions = [
                Revision(p.effective_from or date.min, e.version, _targets_of(p))
                for e in events
                if isinstance(p := payload_of(e), PairingTargetsAdopted)
            ]
            if revisions:
                self.adopted[events[0].county] = revisions

    def defaults_only(self) -> CountyTargets:
        return self.defaults

    def for_county(self, county: str, on: date | None = None) -> CountyTargets:
        """The county's targets in force on `on` (unset: its latest adopted), else defaults."""
        revisions = self.adopted.get(county, [])
        found = (
            in_force_or_first(revisions, on)
            if on
            else max(revisions, key=lambda r: r.revision, default=None)
        )
        return found.value if found else self.defaults


def _targets_of(e: PairingTargetsAdopted) -> CountyTargets:
    return CountyTargets(
        e.active_pairs,
        e.secondments_per_side_min,
        e.secondments_per_side_max,
        e.shadowing_months_min.quantize(HUNDREDTH),
        e.shadowing_months_max.quantize(HUNDREDTH),
    )
