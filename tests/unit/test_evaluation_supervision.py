"""Supervisory and third-party evaluations and their official outcomes.

Given the events of the evaluation's stream, when a command comes, then these events.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from contracts.evaluation.commands import RecordEvaluationOutcome
from contracts.evaluation.events import EvaluationOutcomeRecorded, SupervisoryEvaluationRecorded
from contracts.evaluation.types import EvaluationOutcome, EvaluationScope, Title
from services.evaluation.domain.supervision import EVALUATION
from shared.decider import Rejection
from tests.support.evaluation import COUNTY, decide, given, third_party_evaluation

EVALUATION_ID = UUID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
EVALUATED = third_party_evaluation(evaluation_id=EVALUATION_ID)


def outcome(
    result: EvaluationOutcome = EvaluationOutcome.TITLE_AWARDED,
    title: Title | None = Title.BASIC_BALANCED_COUNTY,
    decided_on: date = date(2017, 12, 28),
) -> RecordEvaluationOutcome:
    return RecordEvaluationOutcome(
        evaluation_id=EVALUATION_ID,
        outcome=result,
        title=title,
        decided_on=decided_on,
        decided_by="国务院教育督导委员会",
    )


def refused(history: list[BaseModel], command: BaseModel) -> Rejection:
    with pytest.raises(Rejection) as caught:
        decide(history, command)
    return caught.value


def test_a_third_party_evaluation_is_recorded() -> None:
    then = decide([], EVALUATED)

    assert then == [SupervisoryEvaluationRecorded(**EVALUATED.model_dump())]
    assert EVALUATION.county(EVALUATION.fold(then)) == COUNTY


def test_recording_an_evaluation_again_changes_nothing_but_other_data_is_refused() -> None:
    history = given(EVALUATED)

    assert decide(history, EVALUATED) == []
    other = EVALUATED.model_copy(update={"findings": "另一份报告"})
    assert refused(history, other).code == "evaluation_exists"


def test_a_title_awarded_on_an_evaluation_carries_its_county_year_and_scope() -> None:
    then = decide(given(EVALUATED), outcome())

    assert then == [
        EvaluationOutcomeRecorded(
            evaluation_id=EVALUATION_ID,
            county=COUNTY,
            year=2017,
            scope=EvaluationScope.BALANCED_DEVELOPMENT,
            outcome=EvaluationOutcome.TITLE_AWARDED,
            title=Title.BASIC_BALANCED_COUNTY,
            decided_on=date(2017, 12, 28),
            decided_by="国务院教育督导委员会",
        )
    ]


def test_an_outcome_of_an_unknown_evaluation_is_refused() -> None:
    assert refused([], outcome()).code == "unknown_evaluation"


def test_an_outcome_cannot_be_decided_before_the_evaluation() -> None:
    rejection = refused(given(EVALUATED), outcome(decided_on=date(2017, 11, 1)))

    assert rejection.code == "outcome_before_evaluation"


def test_a_title_must_fit_the_scope_of_the_evaluation() -> None:
    rejection = refused(given(EVALUATED), outcome(title=Title.DUAL_HIGH_DUAL_UNIVERSAL_COUNTY))

    assert rejection.code == "title_outside_scope"
    assert "dual_high_dual_universal" in rejection.message


def test_an_evaluation_has_one_outcome() -> None:
    history = given(EVALUATED, outcome(EvaluationOutcome.NOT_PASSED, None))

    assert decide(history, outcome(EvaluationOutcome.NOT_PASSED, None)) == []
    rejection = refused(history, outcome())
    assert rejection.code == "outcome_already_recorded"
    assert "not_passed" in rejection.message


@pytest.mark.parametrize(
    ("result", "title"),
    [
        (EvaluationOutcome.TITLE_AWARDED, None),
        (EvaluationOutcome.PASSED, Title.BASIC_BALANCED_COUNTY),
    ],
)
def test_a_title_is_named_with_an_award_and_only_then(
    result: EvaluationOutcome, title: Title | None
) -> None:
    with pytest.raises(ValidationError, match="title is given with title_awarded"):
        outcome(result, title)


def test_an_evaluation_dated_outside_its_year_is_invalid() -> None:
    with pytest.raises(ValidationError, match="evaluated_on 2018-01-03 is not in 2017"):
        EVALUATED.model_validate({**EVALUATED.model_dump(), "evaluated_on": "2018-01-03"})
