"""A county's adopted targets: the numbers its reports measure against, as an event."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts.staffing.commands import AdoptStaffingTargets
from contracts.staffing.events import StaffingTargetsAdopted
from contracts.staffing.types import CountyTargets
from services.staffing.domain.targets import county_targets
from services.staffing.targets import StaffingTargets
from shared.decider import Aggregate


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


def adopt(
    state: AdoptedTargets, command: AdoptStaffingTargets, targets: StaffingTargets
) -> list[BaseModel]:
    """Adopt the file's targets; adopting them unchanged again records nothing."""
    current = county_targets(targets, command.county)
    if current == state.targets:
        return []
    return [StaffingTargetsAdopted(county=command.county, targets=current)]


PLAN = Aggregate[AdoptedTargets]("staffing_targets", AdoptedTargets(), evolve, lambda s: s.county)
