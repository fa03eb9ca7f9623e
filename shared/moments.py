"""Moments as people in the province write them: China Standard Time unless they say
otherwise."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pydantic_core import PydanticCustomError

CHINA = timezone(timedelta(hours=8), "CST")


def moment(text: str, end_of_day: bool = False) -> datetime:
    """An ISO date (the start of that day, or with `end_of_day` the start of the next) or
    date and time; without an offset, China Standard Time."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time.min, CHINA)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError(
            "moment",
            "'{text}' is neither a date (2017-09-01) nor a date and time (2017-09-01T08:30)",
            {"text": text},
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=CHINA)
    return value + timedelta(microseconds=1) if end_of_day else value
