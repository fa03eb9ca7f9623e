"""A county's double-high double-universal figures of one year and their assessments.

The latest record of the year's rates is the one assessed; earlier records stay on record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from contracts.evaluation.commands import (
    AssessDualHighDualUniversal,
    RecordUniversalEducationFigures,
)
from contracts.evaluation.events import (
    DualHighDualUniversalAssessed,
    RateCheck,
    UniversalEducationFiguresRecorded,
)
from contracts.evaluation.types import UniversalThresholds
from services.evaluation.thresholds import ThresholdBook
from shared.decider import Aggregate, Rejection
from shared.i18n import listing, named


@dataclass(frozen=True)
class UniversalYear:
    county: str = ""
    figures: UniversalEducationFiguresRecorded | None = None
    assessments: int = 0
    assessed_on: tuple[UniversalThresholds, int] | None = None  # thresholds, figures revision


def evolve(state: UniversalYear, event: BaseModel) -> UniversalYear:
    match event:
        case UniversalEducationFiguresRecorded():
            return replace(state, county=event.county, figures=event)
        case DualHighDualUniversalAssessed():
            basis = (event.thresholds, event.figures_revision)
            return replace(state, assessments=event.assessment, assessed_on=basis)
    return state


def record_figures(
    state: UniversalYear, command: RecordUniversalEducationFigures
) -> list[BaseModel]:
    """A new revision of the year's rates; the same rates and source again change nothing."""
    latest = state.figures
    if latest and (latest.rates, latest.source) == (command.rates, command.source):
        return []
    revision = latest.revision + 1 if latest else 1
    return [UniversalEducationFiguresRecorded(**command.model_dump(), revision=revision)]


def assess(
    state: UniversalYear, command: AssessDualHighDualUniversal, thresholds: ThresholdBook
) -> list[BaseModel]:
    """Check every rate the thresholds name; a rate without a figure refuses the assessment."""
    figures = state.figures
    if figures is None:
        raise Rejection(
            "no_figures_recorded",
            "no figures recorded for {county} in {year}",
            county=named("county", command.county),
            year=command.year,
        )
    in_force = thresholds.universal_for(command.year)
    if in_force is None:
        raise Rejection(
            "no_thresholds_in_force",
            "no double-high double-universal thresholds apply to {year}",
            year=command.year,
        )
    missing = sorted(r for r in in_force.minimum_rates if r not in figures.rates)
    if missing:
        raise Rejection(
            "missing_figures",
            "the {year} figures lack {missing} (needed by {thresholds})",
            year=command.year,
            missing=listing(missing),
            thresholds=in_force.id,
        )
    if (in_force, figures.revision) == state.assessed_on:
        return []
    checks = [
        RateCheck(
            rate=rate,
            value=figures.rates[rate],
            minimum=minimum,
            met=figures.rates[rate] >= minimum,
        )
        for rate, minimum in sorted(in_force.minimum_rates.items())
    ]
    return [
        DualHighDualUniversalAssessed(
            county=command.county,
            year=command.year,
            assessment=state.assessments + 1,
            figures_revision=figures.revision,
            thresholds=in_force,
            checks=checks,
            met=all(c.met for c in checks),
        )
    ]


def county_of(state: UniversalYear) -> str:
    return state.county


UNIVERSAL = Aggregate[UniversalYear]("dual_high_dual_universal", UniversalYear(), evolve, county_of)
