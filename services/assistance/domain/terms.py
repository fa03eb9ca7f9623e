"""School terms and years: `2017-autumn` opens school year 2017, `2018-spring` closes it."""

from __future__ import annotations

from datetime import date


def term_key(term: str) -> tuple[int, int]:
    """Chronological sort key of a term."""
    year, season = term.split("-")
    return int(year), 1 if season == "autumn" else 0


def school_year_of_term(term: str) -> int:
    year, season = term.split("-")
    return int(year) if season == "autumn" else int(year) - 1


def school_year_on(day: date) -> int:
    """The school year a day falls in: it starts on 1 September."""
    return day.year if day.month >= 9 else day.year - 1
