"""Double-high double-universal: a county's rates of a year checked against the thresholds.

Given the events of the year's stream, when a command comes, then these events (or a refusal).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from contracts.evaluation.commands import (
    AssessDualHighDualUniversal,
    RecordUniversalEducationFigures,
)
from contracts.evaluation.events import (
    DualHighDualUniversalAssessed,
    RateCheck,
    UniversalEducationFiguresRecorded,
)
from services.evaluation.domain.universal import UNIVERSAL
from services.evaluation.thresholds import load_thresholds
from shared.decider import Rejection
from tests.support.evaluation import COUNTY, THRESHOLDS, decide, given

SOURCE = "2017年教育事业统计"


def figures(
    preschool: str = "86.50", senior: str = "91.20", **more: str
) -> RecordUniversalEducationFigures:
    rates = {
        "preschool_three_year_gross_enrolment": preschool,
        "senior_secondary_gross_enrolment": senior,
        **more,
    }
    return RecordUniversalEducationFigures.model_validate(
        {"county": COUNTY, "year": 2017, "rates": rates, "source": SOURCE}
    )


ASSESS = AssessDualHighDualUniversal(county=COUNTY, year=2017)


def refused(history: list[BaseModel], command: BaseModel) -> Rejection:
    with pytest.raises(Rejection) as caught:
        decide(history, command)
    return caught.value


def test_the_rates_of_a_year_are_recorded_as_revision_1() -> None:
    then = decide([], figures(nine_year_retention="98.10"))

    assert then == [
        UniversalEducationFiguresRecorded(
            county=COUNTY,
            year=2017,
            revision=1,
            rates={
                "preschool_three_year_gross_enrolment": Decimal("86.50"),
                "senior_secondary_gross_enrolment": Decimal("91.20"),
                "nine_year_retention": Decimal("98.10"),
            },
            source=SOURCE,
        )
    ]


def test_the_same_rates_again_change_nothing_and_new_ones_are_a_new_revision() -> None:
    history = given(figures())

    assert decide(history, figures()) == []
    (revised,) = decide(history, figures(senior="89.90"))
    assert isinstance(revised, UniversalEducationFiguresRecorded)
    assert revised.revision == 2


def test_a_rate_out_of_range_is_invalid() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 200"):
        figures(senior="250")


def test_the_rates_are_checked_against_the_minimums_in_force() -> None:
    then = decide(given(figures()), ASSESS)

    thresholds = THRESHOLDS.universal_for(2017)
    assert thresholds is not None
    assert then == [
        DualHighDualUniversalAssessed(
            county=COUNTY,
            year=2017,
            assessment=1,
            figures_revision=1,
            thresholds=thresholds,
            checks=[
                RateCheck(
                    rate="preschool_three_year_gross_enrolment",
                    value=Decimal("86.50"),
                    minimum=Decimal("85"),
                    met=True,
                ),
                RateCheck(
                    rate="senior_secondary_gross_enrolment",
                    value=Decimal("91.20"),
                    minimum=Decimal("90"),
                    met=True,
                ),
            ],
            met=True,
        )
    ]
    assert thresholds.id == "national-anchors-2017"


def test_one_rate_below_its_minimum_fails_the_assessment() -> None:
    (event,) = decide(given(figures(senior="89.99")), ASSESS)

    assert isinstance(event, DualHighDualUniversalAssessed)
    assert [(c.rate, c.met) for c in event.checks] == [
        ("preschool_three_year_gross_enrolment", True),
        ("senior_secondary_gross_enrolment", False),
    ]
    assert not event.met


def test_a_rate_exactly_at_its_minimum_meets_it() -> None:
    (event,) = decide(given(figures(preschool="85.00", senior="90.00")), ASSESS)

    assert isinstance(event, DualHighDualUniversalAssessed)
    assert event.met


def test_no_assessment_without_figures() -> None:
    assert refused([], ASSESS).code == "no_figures_recorded"


def test_figures_lacking_a_rate_the_thresholds_need_are_refused_naming_it() -> None:
    lacking = RecordUniversalEducationFigures(
        county=COUNTY,
        year=2017,
        rates={"senior_secondary_gross_enrolment": Decimal("91")},
        source=SOURCE,
    )

    rejection = refused(given(lacking), ASSESS)

    assert rejection.code == "missing_figures"
    assert "preschool_three_year_gross_enrolment" in rejection.message


def test_no_assessment_of_a_year_no_thresholds_apply_to() -> None:
    early = RecordUniversalEducationFigures(
        county=COUNTY,
        year=2015,
        rates={"senior_secondary_gross_enrolment": Decimal(80)},
        source=SOURCE,
    )

    rejection = refused(given(early), AssessDualHighDualUniversal(county=COUNTY, year=2015))

    assert rejection.code == "no_thresholds_in_force"


def test_assessing_again_changes_nothing_until_the_figures_are_revised() -> None:
    history = given(figures(senior="89.00"), ASSESS)
    assert decide(history, ASSESS) == []

    history += decide(history, figures(senior="90.50"))
    (event,) = decide(history, ASSESS)

    assert isinstance(event, DualHighDualUniversalAssessed)
    assert (event.assessment, event.figures_revision, event.met) == (2, 2, True)


def test_configured_thresholds_decide_and_a_change_brings_a_new_assessment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '[[dual_high_dual_universal]]\nid = "shaanxi-2017"\napplies_from = 2017\n'
        'minimum_rates = { senior_secondary_gross_enrolment = "92" }\n',
        encoding="utf-8",
    )

    (event,) = decide(given(figures(), ASSESS), ASSESS, load_thresholds(path))

    assert isinstance(event, DualHighDualUniversalAssessed)
    assert (event.thresholds.id, event.assessment) == ("shaanxi-2017", 2)
    assert [(c.rate, c.minimum, c.met) for c in event.checks] == [
        ("senior_secondary_gross_enrolment", Decimal("92"), False)
    ]


def test_the_stream_belongs_to_its_county() -> None:
    assert UNIVERSAL.county(UNIVERSAL.fold(given(figures()))) == COUNTY
