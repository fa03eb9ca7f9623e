"""The enrolment-weighted difference coefficient of DOMAIN.md, computed exactly.

For one indicator, with school i having resource X_i and P_i students, P = ΣP_i:

    x_i = X_i / P_i · per        x̄ = ΣX_i / ΣP_i · per
    S   = sqrt( Σ (P_i / P) · (x_i − x̄)² )        CV = S / x̄

Everything up to S² is an exact fraction, so CV² = S² / x̄² is exact and a verdict CV ≤ limit
is decided as CV² ≤ limit² with no rounding at all. Square roots are taken to 40 significant
digits; figures are recorded rounded half-even to 6 decimal places. When x̄ is 0 every school
has none of the resource, so all are equal and CV is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

ROOT_PRECISION = Context(prec=40)
RECORDED = Decimal("0.000001")


def decimal(value: Fraction) -> Decimal:
    """A fraction to 40 significant digits."""
    return ROOT_PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))


def recorded(value: Fraction | Decimal) -> Decimal:
    """A figure as events record it: rounded half-even to 6 decimal places."""
    exact = decimal(value) if isinstance(value, Fraction) else value
    return exact.quantize(RECORDED, rounding=ROUND_HALF_EVEN, context=ROOT_PRECISION)


def root(value: Fraction) -> Decimal:
    return decimal(value).sqrt(ROOT_PRECISION)


@dataclass(frozen=True)
class Coefficient:
    """One indicator's coefficient across schools, with every intermediate figure exact."""

    values: tuple[Fraction, ...]  # x_i
    weights: tuple[Fraction, ...]  # P_i / P
    county_value: Fraction  # x̄
    variance: Fraction  # S²

    @property
    def squared(self) -> Fraction:
        """CV², exact."""
        if self.county_value == 0:
            return Fraction(0)
        return self.variance / self.county_value**2

    @property
    def standard_deviation(self) -> Decimal:
        return root(self.variance)

    @property
    def value(self) -> Decimal:
        """CV to 40 significant digits."""
        return root(self.squared)

    def at_most(self, limit: Decimal) -> bool:
        """CV ≤ limit, decided exactly."""
        return self.squared <= Fraction(limit) ** 2


def difference_coefficient(
    resources: Sequence[Fraction | Decimal | int], students: Sequence[int], per: int = 1
) -> Coefficient:
    """The weighted coefficient of one indicator; schools in the same order in both lists."""
    if len(resources) != len(students) or not students:
        raise ValueError("one resource figure and one enrolment per school, at least one school")
    if any(p <= 0 for p in students):
        raise ValueError("every school has at least one student")
    total = sum(students)
    values = tuple(Fraction(x) * per / p for x, p in zip(resources, students, strict=True))
    weights = tuple(Fraction(p, total) for p in students)
    county_value = sum((Fraction(x) for x in resources), Fraction(0)) * per / total
    variance = sum(
        (w * (x - county_value) ** 2 for w, x in zip(weights, values, strict=True)), Fraction(0)
    )
    return Coefficient(values, weights, county_value, variance)


def composite(coefficients: Sequence[Coefficient]) -> Decimal:
    """Mean of the coefficients, to 40 significant digits."""
    total = Decimal(0)
    for c in coefficients:
        total = ROOT_PRECISION.add(total, c.value)
    return ROOT_PRECISION.divide(total, Decimal(len(coefficients)))
