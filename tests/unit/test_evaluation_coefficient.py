"""The enrolment-weighted difference coefficient of DOMAIN.md: properties and a worked example."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.coefficient import composite, difference_coefficient, recorded

enrolments = st.integers(min_value=1, max_value=5000)
resources = st.integers(min_value=0, max_value=2_000_000)
schools = st.lists(st.tuples(resources, enrolments), min_size=1, max_size=40)
patient = settings(deadline=None)  # exact fractions of 40 schools; the machine is shared
factors = st.fractions(min_value=Fraction(1, 1000), max_value=1000).filter(lambda f: f > 0)


def straightforward_cv(xs: list[int], ps: list[int], per: int = 1) -> float:
    """The formula of DOMAIN.md in plain floats, written independently of the service."""
    total_students = sum(ps)
    county = per * sum(xs) / total_students
    if county == 0:
        return 0.0
    spread = 0.0
    for x, p in zip(xs, ps, strict=True):
        spread += (p / total_students) * (per * x / p - county) ** 2
    return math.sqrt(spread) / county


def split(data: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    return [x for x, _ in data], [p for _, p in data]


# Properties


@patient
@given(schools, factors)
def test_scaling_every_resource_leaves_the_coefficient_unchanged(
    data: list[tuple[int, int]], k: Fraction
) -> None:
    xs, ps = split(data)
    before = difference_coefficient(xs, ps)

    after = difference_coefficient([x * k for x in xs], ps)

    assert after.squared == before.squared
    assert after.value == before.value


@patient
@given(schools, st.integers(min_value=1, max_value=50))
def test_scaling_every_enrolment_leaves_the_coefficient_unchanged(
    data: list[tuple[int, int]], k: int
) -> None:
    xs, ps = split(data)

    assert difference_coefficient(xs, [p * k for p in ps]).value == (
        difference_coefficient(xs, ps).value
    )


@patient
@given(schools)
def test_counting_per_100_students_changes_the_values_not_the_coefficient(
    data: list[tuple[int, int]],
) -> None:
    xs, ps = split(data)
    per_student = difference_coefficient(xs, ps)

    per_100 = difference_coefficient(xs, ps, per=100)

    assert per_100.value == per_student.value
    assert per_100.county_value == 100 * per_student.county_value


@patient
@given(
    st.lists(enrolments, min_size=1, max_size=40),
    st.fractions(min_value=0, max_value=10_000),
)
def test_the_coefficient_is_zero_when_every_school_has_the_same_per_student_value(
    ps: list[int], rate: Fraction
) -> None:
    c = difference_coefficient([rate * p for p in ps], ps)

    assert c.squared == 0
    assert c.value == 0
    assert c.at_most(Decimal(0))


@patient
@given(schools)
def test_it_agrees_with_a_straightforward_computation(data: list[tuple[int, int]]) -> None:
    xs, ps = split(data)

    c = difference_coefficient(xs, ps)

    assert float(c.value) == pytest.approx(straightforward_cv(xs, ps), rel=1e-9, abs=1e-12)


@patient
@given(schools, st.randoms(use_true_random=False))
def test_the_order_of_the_schools_does_not_matter(data: list[tuple[int, int]], rng: object) -> None:
    shuffled = list(data)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]

    assert difference_coefficient(*split(shuffled)).squared == (
        difference_coefficient(*split(data)).squared
    )


@patient
@given(schools, st.decimals(min_value=0, max_value=3, places=2))
def test_a_verdict_is_exact_where_the_recorded_figure_is_rounded(
    data: list[tuple[int, int]], limit: Decimal
) -> None:
    c = difference_coefficient(*split(data))

    assert c.at_most(limit) == (c.squared <= Fraction(limit) ** 2)
    assert abs(recorded(c.value) - c.value) <= Decimal("0.0000005")


# The worked example of DOMAIN.md: five schools, 302 pupils, 1,913 books

ENROLMENT = [55, 40, 78, 58, 71]
BOOKS = [550, 200, 312, 638, 213]  # 10, 5, 4, 11 and 3 books per pupil


def test_the_worked_example_of_books_per_student_by_hand() -> None:
    """By hand: P = 302, ΣX = 1,913, so x̄ = 1913/302 = 6.334437.
    ΣP_i·x_i² = 55·100 + 40·25 + 78·16 + 58·121 + 71·9 = 15,405, so
    S² = 15405/302 − (1913/302)² = (15405·302 − 1913²)/302² = 992,741/91,204 = 10.884841,
    S = 3.299218 and CV = S/x̄ = 3.299218/6.334437 = 0.520838 ≈ 0.52, as DOMAIN.md says.
    Unweighted: the mean of 10, 5, 4, 11, 3 is 6.6; the squared deviations 11.56, 2.56, 6.76,
    19.36, 12.96 average 10.64; sqrt(10.64)/6.6 = 0.494 ≈ 0.49, the wrong method's answer."""
    c = difference_coefficient(BOOKS, ENROLMENT)

    assert sum(ENROLMENT) == 302
    assert sum(BOOKS) == 1913
    assert c.values == tuple(map(Fraction, (10, 5, 4, 11, 3)))
    assert c.county_value == Fraction(1913, 302)
    assert c.variance == Fraction(992_741, 91_204)
    assert c.squared == Fraction(992_741, 1913**2)
    assert recorded(c.county_value) == Decimal("6.334437")
    assert recorded(c.variance) == Decimal("10.884841")
    assert recorded(c.standard_deviation) == Decimal("3.299218")
    assert recorded(c.value) == Decimal("0.520838")
    assert [recorded(w) for w in c.weights] == [
        Decimal("0.182119"),
        Decimal("0.132450"),
        Decimal("0.258278"),
        Decimal("0.192053"),
        Decimal("0.235099"),
    ]
    assert round(c.value, 2) == Decimal("0.52")
    assert c.at_most(Decimal("0.53"))
    assert not c.at_most(Decimal("0.52"))


def test_the_unweighted_coefficient_of_the_worked_example_is_the_wrong_0_49() -> None:
    per_pupil = [x / p for x, p in zip(BOOKS, ENROLMENT, strict=True)]
    mean = sum(per_pupil) / len(per_pupil)
    unweighted = math.sqrt(sum((v - mean) ** 2 for v in per_pupil) / len(per_pupil)) / mean

    assert round(unweighted, 2) == 0.49
    assert round(float(difference_coefficient(BOOKS, ENROLMENT).value), 2) == 0.52


def test_a_resource_no_school_has_counts_as_all_schools_equal() -> None:
    c = difference_coefficient([0, 0, 0], [10, 20, 30])

    assert (c.county_value, c.squared, c.value) == (Fraction(0), Fraction(0), Decimal(0))


def test_the_composite_is_the_mean_of_the_coefficients() -> None:
    books = difference_coefficient(BOOKS, ENROLMENT)
    equal = difference_coefficient([p * 5 for p in ENROLMENT], ENROLMENT)

    mean = composite([books, equal, equal, equal, equal, equal, equal, equal])

    assert recorded(mean) == Decimal("0.065105")  # 0.5208384 / 8
    assert abs(mean * 8 - books.value) < Decimal("1e-25")


@pytest.mark.parametrize(
    ("xs", "ps", "reason"),
    [([], [], "at least one school"), ([1, 2], [3], "one resource figure"), ([1], [0], "student")],
)
def test_impossible_inputs_are_refused(xs: list[int], ps: list[int], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        difference_coefficient(xs, ps)
