"""Teacher training: caravan visits per county and term, shadow trainees, training orders.

Each record is keyed by what identifies it in the world (a visit by its day and visiting
school, a trainee's period by its days, an order by the id the county gives it), so sending
the same record twice records it once, and other data under the same key is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from uuid import UUID

from pydantic import BaseModel

from contracts.staffing import commands as c
from contracts.staffing.events import (
    CaravanVisitRecorded,
    ShadowTrainingRecorded,
    TrainingOrderFulfilled,
    TrainingOrderPlaced,
)
from contracts.staffing.terms import school_year_of
from services.staffing.domain.targets import county_targets
from services.staffing.targets import StaffingTargets
from shared.decider import Aggregate, Rejection
from shared.i18n import named

# Caravan visits


@dataclass(frozen=True)
class CaravanTerm:
    county: str = ""
    visits: Mapping[tuple[date, str], CaravanVisitRecorded] = field(default_factory=dict)


def caravan_stream(county: str, term: str) -> str:
    return f"{county}:caravan:{term}"


def evolve_caravan(state: CaravanTerm, event: BaseModel) -> CaravanTerm:
    if isinstance(event, CaravanVisitRecorded):
        key = (event.visited_on, event.visiting_school)
        return CaravanTerm(event.county, {**state.visits, key: event})
    return state


def record_visit(
    state: CaravanTerm, command: c.RecordCaravanVisit, targets: StaffingTargets
) -> list[BaseModel]:
    county_targets(targets, command.county)  # lessons: any stage and subject (各学段、学科)
    visit = CaravanVisitRecorded(**command.model_dump())
    recorded = state.visits.get((command.visited_on, command.visiting_school))
    if recorded == visit:
        return []
    if recorded is not None:
        raise Rejection(
            "visit_already_recorded",
            "the visit of {visiting_school} on {visited_on} is recorded with other lessons",
            visiting_school=named("school", command.visiting_school),
            visited_on=command.visited_on,
        )
    return [visit]


CARAVAN = Aggregate[CaravanTerm]("caravan_term", CaravanTerm(), evolve_caravan, lambda s: s.county)

# Shadow training


@dataclass(frozen=True)
class Trainee:
    county: str = ""
    periods: tuple[ShadowTrainingRecorded, ...] = ()


def trainee_stream(trainee_id: UUID) -> str:
    return f"trainee:{trainee_id}"


def evolve_trainee(state: Trainee, event: BaseModel) -> Trainee:
    if isinstance(event, ShadowTrainingRecorded):
        return Trainee(event.county, (*state.periods, event))
    return state


def record_shadow_training(
    state: Trainee, command: c.RecordShadowTraining, targets: StaffingTargets
) -> list[BaseModel]:
    """A trainee shadows at one school at a time."""
    county_targets(targets, command.county)
    period = ShadowTrainingRecorded(
        **command.model_dump(), school_year=school_year_of(command.starts_on)
    )
    if period in state.periods:
        return []
    clash = next(
        (
            p
            for p in state.periods
            if not (command.ends_on < p.starts_on or p.ends_on < command.starts_on)
        ),
        None,
    )
    if clash:
        raise Rejection(
            "overlapping_shadow_training",
            "trainee {trainee_id} shadows at {host_school} from {starts_on} to {ends_on}",
            trainee_id=command.trainee_id,
            host_school=named("school", clash.host_school),
            starts_on=clash.starts_on,
            ends_on=clash.ends_on,
        )
    return [period]


TRAINEE = Aggregate[Trainee]("trainee", Trainee(), evolve_trainee, lambda s: s.county)

# Demand-driven training orders


@dataclass(frozen=True)
class TrainingOrder:
    placed: TrainingOrderPlaced | None = None
    fulfilled: TrainingOrderFulfilled | None = None


def order_stream(order_id: UUID) -> str:
    return f"training_order:{order_id}"


def evolve_order(state: TrainingOrder, event: BaseModel) -> TrainingOrder:
    if isinstance(event, TrainingOrderPlaced):
        return replace(state, placed=event)
    if isinstance(event, TrainingOrderFulfilled):
        return replace(state, fulfilled=event)
    return state


def place_order(
    state: TrainingOrder, command: c.PlaceTrainingOrder, targets: StaffingTargets
) -> list[BaseModel]:
    county_targets(targets, command.county)
    order = TrainingOrderPlaced(
        **command.model_dump(), school_year=school_year_of(command.placed_on)
    )
    if state.placed == order:
        return []
    if state.placed is not None:
        raise Rejection(
            "order_already_placed",
            "order {order_id} was placed with other data",
            order_id=command.order_id,
        )
    return [order]


def fulfil_order(state: TrainingOrder, command: c.FulfilTrainingOrder) -> list[BaseModel]:
    """The province holds an ordered training once, after the order, for at most its seats."""
    placed = state.placed
    if placed is None:
        raise Rejection("unknown_order", "no training order {order_id}", order_id=command.order_id)
    fulfilment = TrainingOrderFulfilled(county=placed.county, **command.model_dump())
    if state.fulfilled == fulfilment:
        return []
    if state.fulfilled is not None:
        raise Rejection(
            "already_fulfilled",
            "order {order_id} was fulfilled on {held_on}",
            order_id=command.order_id,
            held_on=state.fulfilled.held_on,
        )
    if command.held_on < placed.placed_on:
        raise Rejection(
            "fulfilled_before_order",
            "{held_on} is before the order was placed on {placed_on}",
            held_on=command.held_on,
            placed_on=placed.placed_on,
        )
    if command.attendance > placed.seats:
        raise Rejection(
            "attendance_exceeds_seats",
            "{attendance} attended but the order has {seats} seats",
            attendance=command.attendance,
            seats=placed.seats,
        )
    return [fulfilment]


ORDER = Aggregate[TrainingOrder](
    "training_order",
    TrainingOrder(),
    evolve_order,
    lambda s: s.placed.county if s.placed else "",
)
