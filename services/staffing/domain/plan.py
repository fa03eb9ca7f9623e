"""A county's adopted targets: the numbers its reports measure against, as an event."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts.staffing.commands import AdoptStaffingTargets
from contracts.staffing.events import StaffingTargetsAdopted
from contracts.staffing.types import CountyTargets
from shared.decider import Aggregate, Rejection
from shared.i18n import named


@dataclass(frozen=True)
class AdoptedTargets:
    county: str = ""
    targets: CountyTargets | None = None


def targets_stream(county: str) -> str:
    return f"{county}:targets"


def evolve(state: AdoptedTargets, event: BaseModel) -> AdoptedTargets:
    if isinstance(event, StaffingTargetsAdopted):
        return AdoptedTargets(event.county, event.targets)
    return state


def adopt(state: AdoptedTargets, command: AdoptStaffingTargets) -> list[BaseModel]:
    """Adopt the command's targets; adopting them unchanged again records nothing."""
    if command.targets is None:
        raise Rejection(
            "targets_required",
            "give county {county}'s targets (`eduplan county adopt --plan FILE.yaml`)",
            county=named("county", command.county),
        )
    if command.targets == state.targets:
        return []
    return [
        StaffingTargetsAdopted(
            county=command.county, targets=command.targets, effective_from=command.effective_from
        )
    ]


PLAN = Aggregate[AdoptedTargets]("staffing_targets", AdoptedTargets(), evolve, lambda s: s.county)
