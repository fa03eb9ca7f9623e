"""The plan's verdicts, one function per rule, shared by plan progress, the report cards and
the alerts, so that a status, a card and an alert about the same fact cannot disagree.

Pure functions over rows the read models return; no I/O here. A verdict a person reads is a
phrase of the catalogue, said in the reader's language at the edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shared.i18n import Phrase, named, phrase

COMPULSORY_STAGES = ("primary", "junior")
"""A balanced county needs both compulsory stages assessed and balanced (DOMAIN.md, 4.2)."""

SEASON_ENDS = {"autumn": (1, 31), "spring": (7, 31)}
"""(month, day) a caravan season ends, in the calendar year after the school year's first."""

SEASON_STARTS = {"autumn": (0, 9, 1), "spring": (1, 2, 1)}
"""(years after the school year's first, month, day) a caravan season starts."""


def season_ended(school_year: int, season: str, day: date) -> bool:
    month, last = SEASON_ENDS[season]
    return date(school_year + 1, month, last) < day


def season_started(school_year: int, season: str, day: date) -> bool:
    years, month, first = SEASON_STARTS[season]
    return date(school_year + years, month, first) <= day


def season_status(due: bool, visits: int, school_year: int, season: str, day: date) -> str:
    """`held` once a visit is recorded; `missing` only once a due season has ended with none;
    `pending` while a due season has not ended; `not_due` when the targets ask for none."""
    if not due:
        return "not_due"
    if visits:
        return "held"
    return "missing" if season_ended(school_year, season, day) else "pending"


def post_lacking(post: Mapping[str, Any]) -> bool:
    """A targeted post with fewer master teachers serving than its minimum."""
    return post["min"] is not None and post["teachers"] < post["min"]


def met(reached: object) -> Phrase:
    return phrase("progress.met" if reached else "progress.not_met")


def stage_verdict(row: Mapping[str, Any]) -> Phrase:
    """How a stage's balance assessment reads everywhere: basic and quality balance apart."""
    stage, year, quality = named("stage", row["stage"]), row["year"], row.get("quality_balance_met")
    if quality is None:
        return phrase(
            "progress.stage_verdict", stage=stage, year=year, basic=met(row["basic_balance_met"])
        )
    return phrase(
        "progress.stage_verdict_quality",
        stage=stage,
        year=year,
        basic=met(row["basic_balance_met"]),
        quality=met(quality),
    )


def balanced_county(balance: Iterable[Mapping[str, Any]], titles: Iterable[str]) -> bool:
    """The balanced-county goal: its title awarded, or basic balance met in every compulsory
    stage (an empty or partial assessment is not enough)."""
    if "basic_balanced_compulsory_education_county" in titles:
        return True
    met = {b["stage"]: b["basic_balance_met"] for b in balance}
    return all(met.get(stage) is True for stage in COMPULSORY_STAGES)


def dual_high_dual_universal(universal_met: bool | None, titles: Iterable[str]) -> bool:
    return bool(universal_met) or "dual_high_dual_universal_county" in titles


def assessments_status(
    balance: list[Mapping[str, Any]], universal_met: bool | None, titles: list[str]
) -> str:
    """Task 4.2: done when both 2017 goals are reached, on track once anything is assessed."""
    if balanced_county(balance, titles) and dual_high_dual_universal(universal_met, titles):
        return "done"
    if balance or universal_met is not None or titles:
        return "on_track"
    return "not_started"


def secondments_status(active_pairs: int, sides_below: int) -> str:
    """Task 3.2: each side of every active pair has its minimum of managers seconded; a side
    below it is a gap (the same one the alert names), so the task is behind."""
    if not active_pairs:
        return "not_started"
    return "done" if sides_below == 0 else "behind"
