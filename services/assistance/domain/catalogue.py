"""The aid catalogue as an aggregate: each programme's definitions by the term they apply from.

A grant uses the definition in force for its term, and records the amount, so changing the
catalogue never changes a grant already made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from contracts.assistance.commands import LoadAidCatalogue, ProgrammeDefinition
from contracts.assistance.events import AidProgrammeSet, AidProgrammeWithdrawn
from contracts.assistance.types import PROVINCE, Payment, SchoolCategory
from contracts.types import GRADES, Stage
from services.assistance.domain.terms import term_key
from shared.decider import Aggregate

CENT = Decimal("0.01")
CATALOGUE_STREAM = "aid-catalogue"


@dataclass(frozen=True)
class Entitlement:
    programme: str
    amount: Decimal
    annual_amount: Decimal
    once: bool = False  # granted once in a student's life, not once per year


def entitlement(
    p: ProgrammeDefinition,
    county: str,
    stage: Stage,
    grade: int,
    boarding: bool,
    term: str,
    category: str | None = None,
) -> Entitlement | None:
    """What a student is entitled to under one programme for one term, if anything: the
    county's amount, else the amount of the student's school category, else the stage's."""
    annual = p.county_amounts.get(county, {}).get(stage)
    if annual is None and stage in p.amounts:
        annual = p.category_amounts.get(SchoolCategory(category)) if category else None
        annual = p.amounts[stage] if annual is None else annual
    if not annual or (p.grades is not None and grade not in p.grades):
        return None  # no amount, or 0.00: nothing to grant
    if p.final_year_only and grade != GRADES[stage]:
        return None
    if p.boarding_only and not boarding:
        return None
    annual = annual.quantize(CENT)
    autumn = term.endswith("autumn")
    if p.payment == Payment.AUTUMN_ONCE:
        return Entitlement(p.programme, annual, annual, once=True) if autumn else None
    first_half = (annual / 2).quantize(CENT, ROUND_HALF_UP)
    return Entitlement(p.programme, first_half if autumn else annual - first_half, annual)


@dataclass(frozen=True)
class AidCatalogue:
    """Per programme, its definitions (None: withdrawn) sorted by the term they apply from."""

    versions: Mapping[str, tuple[tuple[str, ProgrammeDefinition | None], ...]] = field(
        default_factory=dict
    )

    def in_force(self, term: str) -> list[ProgrammeDefinition]:
        found = []
        for history in self.versions.values():
            current = None
            for effective_from, definition in history:
                if term_key(effective_from) <= term_key(term):
                    current = definition
            if current is not None:
                found.append(current)
        return sorted(found, key=lambda p: p.programme)

    def entitlements(
        self,
        county: str,
        stage: Stage,
        grade: int,
        boarding: bool,
        term: str,
        category: str | None = None,
    ) -> list[Entitlement]:
        found = (
            entitlement(p, county, stage, grade, boarding, term, category)
            for p in self.in_force(term)
        )
        return [e for e in found if e is not None]

    def with_version(
        self, programme: str, effective_from: str, definition: ProgrammeDefinition | None
    ) -> AidCatalogue:
        kept = [v for v in self.versions.get(programme, ()) if v[0] != effective_from]
        history = sorted([*kept, (effective_from, definition)], key=lambda v: term_key(v[0]))
        return replace(self, versions={**self.versions, programme: tuple(history)})


def evolve(state: AidCatalogue, event: BaseModel) -> AidCatalogue:
    match event:
        case AidProgrammeSet():
            return state.with_version(
                event.definition.programme, event.effective_from, event.definition
            )
        case AidProgrammeWithdrawn():
            return state.with_version(event.programme, event.effective_from, None)
    return state


def load(state: AidCatalogue, command: LoadAidCatalogue) -> list[BaseModel]:
    """Record what differs from the catalogue in force at the term; the same file is a no-op."""
    term = command.effective_from
    current = {p.programme: p for p in state.in_force(term)}
    events: list[BaseModel] = [
        AidProgrammeSet(effective_from=term, definition=p)
        for p in command.programmes
        if current.get(p.programme) != p
    ]
    listed = {p.programme for p in command.programmes}
    events += [
        AidProgrammeWithdrawn(effective_from=term, programme=programme)
        for programme in sorted(current.keys() - listed)
    ]
    return events


CATALOGUE = Aggregate[AidCatalogue]("catalogue", AidCatalogue(), evolve, lambda _: PROVINCE)
