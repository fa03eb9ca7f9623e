"""Supervisory and third-party evaluations of a county, and their official outcomes.

An evaluation has at most one outcome, decided on or after the evaluation; a title awarded
must be one the evaluation's scope can lead to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from contracts.evaluation.commands import RecordEvaluationOutcome, RecordSupervisoryEvaluation
from contracts.evaluation.events import EvaluationOutcomeRecorded, SupervisoryEvaluationRecorded
from contracts.evaluation.types import EvaluationScope, Title
from services.evaluation.domain.common import once
from shared.decider import Aggregate, Rejection

TITLE_SCOPES: dict[Title, EvaluationScope] = {
    Title.BASIC_BALANCED_COUNTY: EvaluationScope.BALANCED_DEVELOPMENT,
    Title.QUALITY_BALANCED_COUNTY: EvaluationScope.QUALITY_BALANCE,
    Title.DUAL_HIGH_DUAL_UNIVERSAL_COUNTY: EvaluationScope.DUAL_HIGH_DUAL_UNIVERSAL,
    Title.EDUCATION_MODERNIZATION_COUNTY: EvaluationScope.PLAN_PROGRESS,
}
"""The one scope of evaluation each title is awarded on."""


@dataclass(frozen=True)
class Evaluation:
    recorded: SupervisoryEvaluationRecorded | None = None
    outcome: EvaluationOutcomeRecorded | None = None


def evolve(state: Evaluation, event: BaseModel) -> Evaluation:
    match event:
        case SupervisoryEvaluationRecorded():
            return replace(state, recorded=event)
        case EvaluationOutcomeRecorded():
            return replace(state, outcome=event)
    return state


def record_evaluation(state: Evaluation, command: RecordSupervisoryEvaluation) -> list[BaseModel]:
    return once(
        state.recorded,
        SupervisoryEvaluationRecorded(**command.model_dump()),
        "evaluation_exists",
        "evaluation {evaluation_id} was recorded with other data",
        evaluation_id=command.evaluation_id,
    )


def record_outcome(state: Evaluation, command: RecordEvaluationOutcome) -> list[BaseModel]:
    evaluation = state.recorded
    if evaluation is None:
        raise Rejection(
            "unknown_evaluation",
            "no evaluation {evaluation_id}",
            evaluation_id=command.evaluation_id,
        )
    if command.decided_on < evaluation.evaluated_on:
        raise Rejection(
            "outcome_before_evaluation",
            "decided on {decided_on}, before the evaluation of {evaluated_on}",
            decided_on=command.decided_on,
            evaluated_on=evaluation.evaluated_on,
        )
    if command.title and TITLE_SCOPES[command.title] != evaluation.scope:
        raise Rejection(
            "title_outside_scope",
            "{title} is awarded on a {needed} evaluation, not {scope}",
            title=command.title.value,
            needed=TITLE_SCOPES[command.title].value,
            scope=evaluation.scope.value,
        )
    return once(
        state.outcome,
        EvaluationOutcomeRecorded(
            **command.model_dump(),
            county=evaluation.county,
            year=evaluation.year,
            scope=evaluation.scope,
        ),
        "outcome_already_recorded",
        "evaluation {evaluation_id} already has the outcome {outcome}",
        evaluation_id=command.evaluation_id,
        outcome=state.outcome.outcome.value if state.outcome else "",
    )


def county_of(state: Evaluation) -> str:
    return state.recorded.county if state.recorded else ""


EVALUATION = Aggregate[Evaluation]("supervisory_evaluation", Evaluation(), evolve, county_of)
