"""A seed file of pairs (TOML) read into EstablishPair commands; the pilot's is pilot_pairs.toml.

The file is checked as a whole: a mistake names the pair and the field, and a file with any
mistake establishes nothing. Helper schools the plan leaves unnamed are marked
`placeholder = true` and must say so in their name ("（待定）", to be named).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.pairing.commands import EstablishPair
from contracts.rules import RuleBroken
from contracts.types import CountyCode

PILOT_SEED = Path(__file__).parent / "examples" / "pilot_pairs.toml"
PLACEHOLDER_MARK = "待定"


class SeedError(ValueError):
    """The seed file cannot be used; nothing of it applies."""


@dataclass(frozen=True)
class Seed:
    county: str
    pairs: tuple[EstablishPair, ...]


class _PairSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str = Field(description="Stage of the pair, e.g. primary.")
    helped_school_id: str = Field(description="Id of the county's school that is helped.")
    helped_school_name: str = Field(description="Its name.")
    helper_school_id: str = Field(description="Id of the helping school.")
    helper_school_name: str = Field(description="Its name.")
    responsible_division: str = Field(description="Department that runs the pair.")
    placeholder: bool = Field(False, description="The helper is not chosen yet.")
    start_date: date | None = Field(None, description="First day, if not the seed's.")

    @model_validator(mode="after")
    def _placeholders_say_so(self) -> Self:
        if self.placeholder and PLACEHOLDER_MARK not in self.helper_school_name:
            raise RuleBroken(
                "a placeholder helper's name must contain {mark}", mark=PLACEHOLDER_MARK
            )
        return self


class _SeedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: CountyCode
    start_date: date = Field(description="First day of every pair that names none.")
    pair: list[_PairSpec] = Field(description="The pairs, one [[pair]] table each.")


def load_seed(path: Path = PILOT_SEED) -> Seed:
    try:
        with path.open("rb") as f:
            spec = _SeedSpec.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise SeedError(f"{path}: {_describe(exc)}") from None
    pairs = tuple(_establish(path, spec, i) for i in range(len(spec.pair)))
    keys = [(p.helped_school_id, p.stage.value) for p in pairs]
    repeated = sorted({f"{s}:{t}" for s, t in keys if keys.count((s, t)) > 1})
    if repeated:
        raise SeedError(f"{path}: more than one pair for {', '.join(repeated)}")
    return Seed(spec.county, pairs)


def _establish(path: Path, spec: _SeedSpec, index: int) -> EstablishPair:
    p = spec.pair[index]
    try:
        return EstablishPair.model_validate(
            {
                **p.model_dump(exclude={"placeholder", "start_date"}),
                "county": spec.county,
                "start_date": p.start_date or spec.start_date,
            }
        )
    except ValidationError as exc:
        raise SeedError(
            f"{path}: pair {index + 1} ({p.helped_school_id}): {_describe(exc)}"
        ) from None


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'pair'}: {str(e['msg']).removeprefix('Value error, ')}"
        for e in exc.errors(include_url=False)
    )
