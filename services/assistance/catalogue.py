"""The aid catalogue: which programmes each stage gets, and how much per term. Data, not code.

The file is checked as a whole when loaded: a mistake names the programme and the field, and
a catalogue with any mistake is refused rather than half applied.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.types import GRADES, Amount, CountyCode, Stage

DEFAULT_CATALOGUE = Path(__file__).with_name("aid_catalogue.toml")
Payment = Literal["half_per_term", "autumn_once"]
CENT = Decimal("0.01")


class CatalogueError(ValueError):
    """The catalogue file cannot be used; nothing of it applies."""


@dataclass(frozen=True)
class Entitlement:
    programme: str
    amount: Decimal
    annual_amount: Decimal
    once: bool = False  # granted once in a student's life, not once per year


@dataclass(frozen=True)
class AidProgramme:
    id: str
    name: str
    payment: Payment
    amounts: Mapping[Stage, Decimal]
    county_amounts: Mapping[str, Mapping[Stage, Decimal]] = field(default_factory=dict)
    grades: frozenset[int] | None = None
    boarding_only: bool = False

    def entitlement(
        self, county: str, stage: Stage, grade: int, boarding: bool, term: str
    ) -> Entitlement | None:
        annual = self.county_amounts.get(county, {}).get(stage, self.amounts.get(stage))
        if annual is None or (self.grades is not None and grade not in self.grades):
            return None
        if self.boarding_only and not boarding:
            return None
        autumn = term.endswith("autumn")
        if self.payment == "autumn_once":
            return Entitlement(self.id, annual, annual, once=True) if autumn else None
        first_half = (annual / 2).quantize(CENT, ROUND_HALF_UP)
        return Entitlement(self.id, first_half if autumn else annual - first_half, annual)


@dataclass(frozen=True)
class AidCatalogue:
    programmes: tuple[AidProgramme, ...]

    def entitlements(
        self, county: str, stage: Stage, grade: int, boarding: bool, term: str
    ) -> list[Entitlement]:
        found = (p.entitlement(county, stage, grade, boarding, term) for p in self.programmes)
        return [e for e in found if e is not None]


class _ProgrammeSpec(BaseModel):
    """One [[programme]] table of the catalogue file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    payment: Payment
    amounts: dict[Stage, Amount]
    county_amounts: dict[CountyCode, dict[Stage, Amount]] = {}
    grades: list[int] | None = None
    boarding_only: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _grades_exist(self) -> Self:
        stages = set(self.amounts) | {s for t in self.county_amounts.values() for s in t}
        for grade in self.grades or []:
            if not any(1 <= grade <= GRADES[s] for s in stages):
                raise ValueError(f"grade {grade} exists in none of the stages {sorted(stages)}")
        return self


class _CatalogueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: list[_ProgrammeSpec] = Field(min_length=1)


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> AidCatalogue:
    try:
        with path.open("rb") as f:
            spec = _CatalogueSpec.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {_describe(exc, path)}") from None
    ids = [p.id for p in spec.programme]
    if len(ids) != len(set(ids)):
        raise CatalogueError(
            f"{path}: programme ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return AidCatalogue(
        tuple(
            AidProgramme(
                id=p.id,
                name=p.name,
                payment=p.payment,
                amounts=_to_cents(p.amounts),
                county_amounts={county: _to_cents(t) for county, t in p.county_amounts.items()},
                grades=frozenset(p.grades) if p.grades is not None else None,
                boarding_only=p.boarding_only,
            )
            for p in spec.programme
        )
    )


def _to_cents(amounts: Mapping[Stage, Decimal]) -> dict[Stage, Decimal]:
    return {stage: amount.quantize(CENT) for stage, amount in amounts.items()}


def _describe(exc: ValidationError, path: Path) -> str:
    with path.open("rb") as f:
        raw = tomllib.load(f).get("programme", [])
    parts = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and loc[0] == "programme" and isinstance(loc[1], int):
            index = loc[1]
            name = raw[index].get("id", f"#{index + 1}") if index < len(raw) else f"#{index + 1}"
            where = ".".join(str(x) for x in [f"programme {name}", *loc[2:]])
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
