"""Decisions on pairs: establish, suspend, resume, end.

A pair holds its stage while it is active or suspended; only ending it frees the stage, so a
resumed pair can never meet a second helper. Status changes are dated and never go back
before the previous change.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from contracts.pairing.commands import EndPair, EstablishPair, ResumePair, SuspendPair
from contracts.pairing.events import PairEnded, PairEstablished, PairResumed, PairSuspended
from contracts.types import Stage
from services.pairing.domain.school import HelpedSchool, Pair, PairStatus, facts_of
from shared.decider import Rejection


def establish_pair(state: HelpedSchool, c: EstablishPair) -> list[BaseModel]:
    """Pair once; the same establishment again (a seed rerun) changes nothing."""
    if state.name and state.name != c.helped_school_name:
        raise Rejection(
            "school_name_mismatch",
            f"{c.helped_school_id} is {state.name}, not {c.helped_school_name}",
        )
    if any(_same(p, c) for p in state.at(c.stage)):
        return []
    current = state.current_pair(c.stage)
    if current is not None:
        raise Rejection(
            "stage_already_helped",
            f"{c.helped_school_id} already has helper {current.helper_school_id} at "
            f"{c.stage.value} (pair {current.pair_id}); end that pair first",
        )
    earlier = state.at(c.stage)
    if earlier and c.start_date < earlier[-1].since:
        raise Rejection(
            "overlaps_previous_pair",
            f"pair {earlier[-1].pair_id} ended on {earlier[-1].since}; "
            f"a new pair cannot start on {c.start_date}",
        )
    return [
        PairEstablished(
            pair_id=f"{c.county}:{c.helped_school_id}:{c.stage.value}:{len(earlier) + 1}",
            county=c.county,
            helped_school_id=c.helped_school_id,
            stage=c.stage,
            helped_school_name=c.helped_school_name,
            helper_school_id=c.helper_school_id,
            helper_school_name=c.helper_school_name,
            responsible_division=c.responsible_division,
            start_date=c.start_date,
        )
    ]


def suspend_pair(state: HelpedSchool, c: SuspendPair) -> list[BaseModel]:
    pair = current_pair(state, c.stage)
    if pair.status is PairStatus.SUSPENDED:
        raise Rejection("pair_already_suspended", f"pair {pair.pair_id} is suspended already")
    _not_before_last_change(pair, c.on)
    return [PairSuspended(**facts_of(state, pair), on=c.on, reason=c.reason)]


def resume_pair(state: HelpedSchool, c: ResumePair) -> list[BaseModel]:
    pair = current_pair(state, c.stage)
    if pair.status is not PairStatus.SUSPENDED:
        raise Rejection("pair_not_suspended", f"pair {pair.pair_id} is not suspended")
    _not_before_last_change(pair, c.on)
    return [PairResumed(**facts_of(state, pair), on=c.on)]


def end_pair(state: HelpedSchool, c: EndPair) -> list[BaseModel]:
    pair = current_pair(state, c.stage)
    _not_before_last_change(pair, c.on)
    return [PairEnded(**facts_of(state, pair), on=c.on, reason=c.reason)]


def current_pair(state: HelpedSchool, stage: Stage) -> Pair:
    """The pair holding the stage, active or suspended."""
    pair = state.current_pair(stage)
    if pair is None:
        school = state.school_id or "this school"
        raise Rejection("no_pair", f"{school} has no current pair at {stage.value}")
    return pair


def _same(pair: Pair, c: EstablishPair) -> bool:
    return (pair.helper_school_id, pair.helper_school_name, pair.division, pair.start_date) == (
        c.helper_school_id,
        c.helper_school_name,
        c.responsible_division,
        c.start_date,
    )


def _not_before_last_change(pair: Pair, day: date) -> None:
    if day < pair.since:
        raise Rejection(
            "before_last_change",
            f"pair {pair.pair_id} has been {pair.status.value} since {pair.since}; "
            f"{day} is earlier",
        )
