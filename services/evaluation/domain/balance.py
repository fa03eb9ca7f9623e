"""Assessing balanced development from the schools' statistics, figure by figure.

Basic balance: the composite (mean of the eight indicators' coefficients) within the stage's
limit. Quality balance, where the thresholds define it: every school meets the required number
of the seven standards and reaches the minimum share of any it misses, and every quality
indicator's coefficient is within the limit. Verdicts use exact values (coefficient.py); the
event records every figure rounded half-even to 6 decimal places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from contracts.evaluation.events import (
    AssessedSchool,
    BalancedDevelopmentAssessed,
    IndicatorCoefficient,
    QualityBalanceResult,
    SchoolStandards,
    StandardCheck,
)
from contracts.evaluation.types import (
    BalanceThresholds,
    CompulsoryStage,
    Indicator,
    QualityThresholds,
    SchoolStatistics,
)
from services.evaluation.coefficient import (
    Coefficient,
    composite,
    difference_coefficient,
    recorded,
)
from services.evaluation.indicators import BASIC_BALANCE, DEFINITIONS, QUALITY_STANDARDS


@dataclass(frozen=True)
class SchoolData:
    school: str
    name: str
    revision: int
    statistics: SchoolStatistics


def assess_balance(
    county: str,
    year: int,
    stage: CompulsoryStage,
    schools: Sequence[SchoolData],
    thresholds: BalanceThresholds,
    assessment: int,
) -> BalancedDevelopmentAssessed:
    ordered = sorted(schools, key=lambda s: s.school)
    enrolments = [s.statistics.enrolment for s in ordered]
    coefficients = {
        d.indicator: difference_coefficient(
            [d.of(s.statistics) for s in ordered], enrolments, d.per
        )
        for d in DEFINITIONS
    }
    mean = composite([coefficients[i] for i in BASIC_BALANCE])
    quality = thresholds.quality
    total = sum(enrolments)
    return BalancedDevelopmentAssessed(
        county=county,
        year=year,
        stage=stage,
        assessment=assessment,
        thresholds=thresholds,
        schools=[
            AssessedSchool(
                school=s.school,
                name=s.name,
                revision=s.revision,
                weight=recorded(Fraction(s.statistics.enrolment, total)),
                statistics=s.statistics,
            )
            for s in ordered
        ],
        indicators=[
            _indicator(d.indicator, d.per, coefficients[d.indicator], ordered, quality)
            for d in DEFINITIONS
        ],
        composite=recorded(mean),
        basic_balance_met=mean <= thresholds.composite_max,
        quality_balance=_quality(coefficients, ordered, quality) if quality else None,
    )


def _indicator(
    indicator: Indicator,
    per: int,
    c: Coefficient,
    schools: Sequence[SchoolData],
    quality: QualityThresholds | None,
) -> IndicatorCoefficient:
    limit = quality.coefficient_max if quality and indicator in QUALITY_STANDARDS else None
    return IndicatorCoefficient(
        indicator=indicator,
        per=per,
        school_values={s.school: recorded(x) for s, x in zip(schools, c.values, strict=True)},
        county_value=recorded(c.county_value),
        standard_deviation=recorded(c.standard_deviation),
        coefficient=recorded(c.value),
        in_composite=indicator in BASIC_BALANCE,
        quality_max=limit,
        within_quality_max=None if limit is None else c.at_most(limit),
    )


def _quality(
    coefficients: dict[Indicator, Coefficient],
    schools: Sequence[SchoolData],
    quality: QualityThresholds,
) -> QualityBalanceResult:
    results = [_school_standards(i, s.school, coefficients, quality) for i, s in enumerate(schools)]
    passed = sum(r.passed for r in results)
    within = all(coefficients[i].at_most(quality.coefficient_max) for i in QUALITY_STANDARDS)
    return QualityBalanceResult(
        schools=results,
        schools_passed=passed,
        all_schools_pass=passed == len(results),
        all_coefficients_within=within,
        met=passed == len(results) and within,
    )


def _school_standards(
    index: int, school: str, coefficients: dict[Indicator, Coefficient], quality: QualityThresholds
) -> SchoolStandards:
    checks = []
    short_of_share = False
    for indicator in QUALITY_STANDARDS:
        value = coefficients[indicator].values[index]
        standard = quality.standards[indicator]
        share = value / Fraction(standard)
        met = value >= Fraction(standard)
        short_of_share |= not met and share < Fraction(quality.missed_standard_min_share)
        checks.append(
            StandardCheck(
                indicator=indicator,
                value=recorded(value),
                standard=standard,
                share=recorded(share),
                met=met,
            )
        )
    met_count = sum(c.met for c in checks)
    return SchoolStandards(
        school=school,
        checks=checks,
        met_count=met_count,
        passed=met_count >= quality.standards_required and not short_of_share,
    )
