"""Calendar arithmetic for agreed periods: how many months a period lasts, what overlaps."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or the month's last day if it is shorter."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def months_between(start: date, end: date) -> Decimal:
    """Months from `start` to `end`, both days included: whole calendar months, then the rest
    as a fraction of the month it falls in, so 2017-10-09..2017-12-08 is exactly 2.00."""
    after = end + timedelta(days=1)
    whole = (after.year - start.year) * 12 + after.month - start.month
    if add_months(start, whole) > after:
        whole -= 1
    rest_from = add_months(start, whole)
    month_days = (add_months(rest_from, 1) - rest_from).days
    rest = Decimal((after - rest_from).days) / Decimal(month_days)
    return (Decimal(whole) + rest).quantize(HUNDREDTH, ROUND_HALF_UP)


def most_at_once(periods: Iterable[tuple[date, date]], start: date, end: date) -> int:
    """Most of `periods` running on any one day of start..end (the peak is where one starts)."""
    overlapping = [(s, e) for s, e in periods if s <= end and e >= start]
    days = {start} | {s for s, _ in overlapping if s >= start}
    return max(sum(1 for s, e in overlapping if s <= day <= e) for day in days)
