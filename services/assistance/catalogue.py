"""The aid catalogue: which programmes each stage gets, and how much per term. Data, not code."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

from contracts.types import Stage

DEFAULT_CATALOGUE = Path(__file__).with_name("aid_catalogue.toml")
Payment = Literal["half_per_term", "autumn_once"]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Entitlement:
    programme: str
    amount: Decimal
    annual_amount: Decimal


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
        if self.payment == "autumn_once":
            return Entitlement(self.id, annual, annual) if term.endswith("autumn") else None
        return Entitlement(self.id, (annual / 2).quantize(CENT), annual)


@dataclass(frozen=True)
class AidCatalogue:
    programmes: tuple[AidProgramme, ...]

    def entitlements(
        self, county: str, stage: Stage, grade: int, boarding: bool, term: str
    ) -> list[Entitlement]:
        found = (p.entitlement(county, stage, grade, boarding, term) for p in self.programmes)
        return [e for e in found if e is not None]


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> AidCatalogue:
    with path.open("rb") as f:
        data = tomllib.load(f)
    return AidCatalogue(tuple(_programme(p) for p in data["programme"]))


def _amounts(table: Mapping[str, str]) -> dict[Stage, Decimal]:
    return {Stage(stage): Decimal(amount).quantize(CENT) for stage, amount in table.items()}


def _programme(p: Mapping[str, object]) -> AidProgramme:
    grades = p.get("grades")
    return AidProgramme(
        id=str(p["id"]),
        name=str(p["name"]),
        payment=p["payment"],  # type: ignore[arg-type]
        amounts=_amounts(p["amounts"]),  # type: ignore[arg-type]
        county_amounts={
            county: _amounts(table)
            for county, table in p.get("county_amounts", {}).items()  # type: ignore[attr-defined]
        },
        grades=frozenset(grades) if isinstance(grades, list) else None,
        boarding_only=bool(p.get("boarding_only", False)),
    )
