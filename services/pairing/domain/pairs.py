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
from shared.i18n import named


def establish_pair(state: HelpedSchool, c: EstablishPair) -> list[BaseModel]:
    """Pair once; the same establishment again (a seed rerun) changes nothing."""
    if state.name and state.name != c.helped_school_name:
        raise Rejection(
            "school_name_mismatch",
            "{helped_school_id} is {name}, not {helped_school_name}",
            helped_school_id=named("school", c.helped_school_id),
            name=state.name,
            helped_school_name=c.helped_school_name,
        )
    if any(_same(p, c) for p in state.at(c.stage)):
        return []
    current = state.current_pair(c.stage)
    if current is not None:
        raise Rejection(
            "stage_already_helped",
            (
                "{helped_school_id} already has helper {helper_school_id} at {stage} "
                "(pair {pair_id}); end that pair first"
            ),
            helped_school_id=named("school", c.helped_school_id),
            helper_school_id=named("school", current.helper_school_id),
            stage=named("stage", c.stage),
            pair_id=current.pair_id,
        )
    earlier = state.at(c.stage)
    if earlier and c.start_date < earlier[-1].since:
        raise Rejection(
            "overlaps_previous_pair",
            "pair {pair_id} ended on {since}; a new pair cannot start on {start_date}",
            pair_id=earlier[-1].pair_id,
            since=earlier[-1].since,
            start_date=c.start_date,
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
        raise Rejection(
            "pair_already_suspended", "pair {pair_id} is suspended already", pair_id=pair.pair_id
        )
    _not_before_last_change(pair, c.on)
    return [PairSuspended(**facts_of(state, pair), on=c.on, reason=c.reason)]


def resume_pair(state: HelpedSchool, c: ResumePair) -> list[BaseModel]:
    pair = current_pair(state, c.stage)
    if pair.status is not PairStatus.SUSPENDED:
        raise Rejection(
            "pair_not_suspended", "pair {pair_id} is not suspended", pair_id=pair.pair_id
        )
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
        raise Rejection(
            "no_pair",
            "{school} has no current pair at {stage}",
            school=named("school", school),
            stage=named("stage", stage),
        )
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
            "pair {pair_id} has been {status} since {since}; {day} is earlier",
            pair_id=pair.pair_id,
            status=pair.status.value,
            since=pair.since,
            day=day,
        )
