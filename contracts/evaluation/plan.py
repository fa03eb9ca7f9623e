"""A county's plan as data: the document `eduplan county adopt --plan FILE.yaml` reads and the
`CountyPlanAdopted` event carries (its format is documented in README.md, "Counties").

The plan names the county, its period, the goals with their due dates, the baseline figures,
the responsible units and the tasks; `targets` holds each work stream's figures, which the
same command adopts in the staffing, pairing and evaluation services. The pilot's plan
(contracts/files/examples/county_plan.yaml) is the example.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from contracts.evaluation.types import GuidanceInstitution, Title
from contracts.rules import RuleBroken
from contracts.staffing.types import CountyTargets
from contracts.types import Contract, CountyCode

PlanId = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$", description="Identifier in snake_case.")
]
TaskId = Annotated[
    str, Field(pattern=r"^\d\.\d[a-z]?$", description="Task number of the plan, e.g. 2.1b.")
]
Text = Annotated[str, Field(max_length=500, description="Free text.")]


class WorkStream(StrEnum):
    ASSISTANCE = "assistance"
    STAFFING = "staffing"
    PAIRING = "pairing"
    EVALUATION = "evaluation"


class PlanCounty(Contract):
    code: CountyCode
    name: str = Field(min_length=1, max_length=100, description="County name in English.")
    name_zh: str = Field(min_length=1, max_length=50, description="County name in Chinese.")
    city_zh: str | None = Field(None, max_length=50, description="City (prefecture).")
    province_zh: str | None = Field(None, max_length=50, description="Province.")


class PlanPeriod(Contract):
    start: date = Field(description="First day of the plan.")
    end: date = Field(description="Last day of the plan.")


class PlanGoal(Contract):
    """A goal of the plan, reached when its title is awarded (or its assessments say so)."""

    id: PlanId
    zh: Text
    due: date = Field(description="Day by which the goal is due.")
    title: Title | None = Field(None, description="County title that marks the goal reached.")


class Baseline(Contract):
    """What was in place when the plan started, as the plan states it."""

    value: int = Field(ge=0, description="The figure.")
    of: Text = Field(description="What the figure counts.")


class TaskTarget(Contract):
    metric: PlanId = Field(description="What is measured.")
    value: int | None = Field(None, ge=0, description="The figure to reach, if one.")
    all: bool = Field(False, description="Every one of the metric's population.")
    min: int | None = Field(None, ge=0, description="Lowest figure on target.")
    max: int | None = Field(None, ge=0, description="Highest figure on target.")

    def describe(self) -> str:
        """As a person reads it: `metric: value`, `metric: all` or `metric: min-max`."""
        if self.value is not None:
            return f"{self.metric}: {self.value}"
        if self.all:
            return f"{self.metric}: all"
        if self.min is not None:
            return f"{self.metric}: {self.min}-{self.max or ''}"
        return str(self.metric)


class PlanTask(Contract):
    id: TaskId
    stream: WorkStream = Field(description="Work stream that records the task's facts.")
    zh: Text
    target: TaskTarget = Field(description="What the task must reach.")
    rhythm: Text = ""
    units: list[PlanId] = Field([], description="Responsible units (keys of `units`).")
    baseline: Baseline | None = Field(None, description="The task's figure at the start.")
    note: Text = ""


class PairingPlanTargets(Contract):
    """Plan tasks 3.1-3.3 as the pairing service enforces and reports them."""

    active_pairs: int = Field(ge=0, le=10_000, description="Pairs to keep active.")
    secondments_per_side_min: int = Field(
        1, ge=0, le=100, description="Fewest managers seconded per side at a time."
    )
    secondments_per_side_max: int = Field(
        3, ge=1, le=100, description="Most managers seconded per side at a time."
    )
    shadowing_months_min: Decimal = Field(
        Decimal(1), ge=0, le=24, description="Shortest shadowing period, in months."
    )
    shadowing_months_max: Decimal = Field(
        Decimal(2), gt=0, le=24, description="Longest shadowing period, in months."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.secondments_per_side_min > self.secondments_per_side_max:
            raise RuleBroken("secondments_per_side_min is above its max")
        if self.shadowing_months_min > self.shadowing_months_max:
            raise RuleBroken("shadowing_months_min is above its max")
        return self


class GuidancePlanTargets(Contract):
    """Plan task 4.1: the institutions research visits go to each year, and how often."""

    institutions: list[GuidanceInstitution] = Field(
        min_length=1, max_length=500, description="Institutions research visits go to."
    )
    visits_min: int = Field(1, ge=0, le=12, description="Fewest visits per institution a year.")
    visits_max: int = Field(2, ge=1, le=12, description="Most visits per institution a year.")


class PlanTargets(Contract):
    staffing: CountyTargets | None = Field(None, description="Tasks 2.1-2.3.")
    pairing: PairingPlanTargets | None = Field(None, description="Tasks 3.1-3.3.")
    guidance: GuidancePlanTargets | None = Field(None, description="Task 4.1.")


class CountyPlan(Contract):
    """The plan document of one county."""

    county: PlanCounty = Field(description="The county the plan is for.")
    period: PlanPeriod = Field(description="The plan's first and last day.")
    goals: list[PlanGoal] = Field(max_length=20, description="The plan's goals and due dates.")
    units: dict[PlanId, Text] = Field({}, description="Responsible unit id -> its name.")
    tasks: list[PlanTask] = Field(min_length=1, max_length=100, description="The plan's tasks.")
    targets: PlanTargets = Field(PlanTargets(), description="Each work stream's figures.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.period.end < self.period.start:
            raise RuleBroken("period.end is before period.start")
        ids = [t.id for t in self.tasks]
        if len(set(ids)) != len(ids):
            raise RuleBroken("task ids repeat")
        unknown = sorted({u for t in self.tasks for u in t.units} - set(self.units))
        if unknown:
            raise RuleBroken("tasks name units missing from `units`: {units}", units=unknown)
        if len({g.id for g in self.goals}) != len(self.goals):
            raise RuleBroken("goal ids repeat")
        return self
