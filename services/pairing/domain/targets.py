"""The PairingTargets aggregate: the targets a county's pairing is reported against.

One stream per county (`f"targets:{county}"`, which no school stream can be). The figures come
from the service's targets file, so what the reports compare against is what the service
enforces; adopting unchanged figures again records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts.pairing.commands import AdoptPairingTargets
from contracts.pairing.events import PairingTargetsAdopted
from services.pairing.targets import CountyTargets
from shared.decider import Aggregate, Rejection


@dataclass(frozen=True)
class Targets:
    county: str = ""
    adopted: PairingTargetsAdopted | None = None


def evolve(state: Targets, event: BaseModel) -> Targets:
    if isinstance(event, PairingTargetsAdopted):
        return Targets(event.county, event)
    return state


def adopt_targets(
    state: Targets, c: AdoptPairingTargets, targets: CountyTargets
) -> list[BaseModel]:
    if targets.active_pairs is None:
        raise Rejection(
            "no_targets_for_county", f"the targets file has no active_pairs for county {c.county}"
        )
    adopted = PairingTargetsAdopted(
        county=c.county,
        active_pairs=targets.active_pairs,
        secondments_per_side_min=targets.secondments_min,
        secondments_per_side_max=targets.secondments_max,
        shadowing_months_min=targets.shadowing_min,
        shadowing_months_max=targets.shadowing_max,
    )
    return [] if adopted == state.adopted else [adopted]


def stream_id(county: str) -> str:
    return f"targets:{county}"


def county_of(state: Targets) -> str:
    return state.county


PAIRING_TARGETS = Aggregate[Targets]("pairing_targets", Targets(), evolve, county_of)
