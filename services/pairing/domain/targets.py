"""The PairingTargets aggregate: the targets a county's pairing is reported against.

One stream per county (`f"targets:{county}"`, which no school stream can be). The figures come
with the command (a county plan's `targets.pairing`); a range the command leaves unset is the
province's default. The service enforces the adopted figures, so what the reports compare
against is what the service enforces; adopting unchanged figures again records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from contracts.pairing.commands import AdoptPairingTargets
from contracts.pairing.events import PairingTargetsAdopted
from services.pairing.targets import CountyTargets
from shared.decider import Aggregate, Rejection
from shared.i18n import named


@dataclass(frozen=True)
class Targets:
    county: str = ""
    adopted: PairingTargetsAdopted | None = None


def evolve(state: Targets, event: BaseModel) -> Targets:
    if isinstance(event, PairingTargetsAdopted):
        return Targets(event.county, event)
    return state


def adopt_targets(
    state: Targets, c: AdoptPairingTargets, defaults: CountyTargets
) -> list[BaseModel]:
    """`defaults`: the province's ranges, for what the command leaves unset."""
    if c.active_pairs is None:
        raise Rejection(
            "no_targets_for_county",
            "give county {county}'s active_pairs (`eduplan county adopt --plan FILE.yaml`)",
            county=named("county", c.county),
        )
    adopted = PairingTargetsAdopted(
        county=c.county,
        active_pairs=c.active_pairs,
        secondments_per_side_min=_given(c.secondments_per_side_min, defaults.secondments_min),
        secondments_per_side_max=_given(c.secondments_per_side_max, defaults.secondments_max),
        shadowing_months_min=_given(c.shadowing_months_min, defaults.shadowing_min),
        shadowing_months_max=_given(c.shadowing_months_max, defaults.shadowing_max),
        effective_from=c.effective_from,
    )
    if adopted.secondments_per_side_min > adopted.secondments_per_side_max:
        raise Rejection("invalid_targets", "secondments_per_side_min is above the max")
    if adopted.shadowing_months_min > adopted.shadowing_months_max:
        raise Rejection("invalid_targets", "shadowing_months_min is above the max")
    if state.adopted and adopted == state.adopted.model_copy(
        update={"effective_from": c.effective_from}
    ):
        return []
    return [adopted]


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value


def stream_id(county: str) -> str:
    return f"targets:{county}"


def county_of(state: Targets) -> str:
    return state.county


PAIRING_TARGETS = Aggregate[Targets]("pairing_targets", Targets(), evolve, county_of)
