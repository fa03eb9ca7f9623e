"""Terms as ordered values: `2017-autumn` opens school year 2017 and `2018-spring` closes it.

A term's index counts terms from year 0 (spring of year Y is 2Y, autumn 2Y + 1), so spans of
terms compare and subtract as integers. Days belong to the term they are taught in: the
autumn term runs from September to January, the spring term from February to August
(the summer holiday closes the school year).
"""

from __future__ import annotations

from datetime import date, timedelta


def term_index(term: str) -> int:
    year, season = term.split("-")
    return int(year) * 2 + (1 if season == "autumn" else 0)


def term_at(index: int) -> str:
    year, autumn = divmod(index, 2)
    return f"{year}-{'autumn' if autumn else 'spring'}"


def school_year(term: str) -> int:
    """The school year a term belongs to, named by the calendar year it starts in."""
    return (term_index(term) - 1) // 2


def year_terms(year: int) -> tuple[str, str]:
    """The autumn and spring terms of a school year."""
    return f"{year}-autumn", f"{year + 1}-spring"


def term_of(day: date) -> str:
    if day.month >= 9:
        return f"{day.year}-autumn"
    if day.month == 1:
        return f"{day.year - 1}-autumn"
    return f"{day.year}-spring"


def first_day(term: str) -> date:
    """The term's first day: 1 September (autumn) or 1 February (spring)."""
    year, season = term.split("-")
    return date(int(year), 9 if season == "autumn" else 2, 1)


def last_day(term: str) -> date:
    return first_day(term_at(term_index(term) + 1)) - timedelta(days=1)


def school_year_of(day: date) -> int:
    return school_year(term_of(day))


def terms_from(start: str, end: str) -> list[str]:
    """Every term from start to end, both included; empty when end is before start."""
    return [term_at(i) for i in range(term_index(start), term_index(end) + 1)]
