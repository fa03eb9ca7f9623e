"""Decisions on people exchanged between paired schools: manager secondments, shadowing.

Secondments: each side of a pair has 1-3 managers seconded at a time; a secondment that
would make a side's 4th running on any one day is refused (a side below 1 is for the reports
to show, not a reason to refuse anything). Shadowing: the months of a period are computed
from its dates; outside the county's target range it needs an explicit reason and is flagged.
"""

from __future__ import annotations

from pydantic import BaseModel

from contracts.pairing.commands import RecordShadowing, SecondManager
from contracts.pairing.events import ManagerSeconded, ShadowingRecorded
from services.pairing.domain.periods import months_between, most_at_once
from services.pairing.domain.records import active_pair, already_recorded
from services.pairing.domain.school import HelpedSchool, Pair, facts_of
from services.pairing.targets import CountyTargets
from shared.decider import Rejection
from shared.i18n import named


def second_manager(
    state: HelpedSchool, c: SecondManager, targets: CountyTargets
) -> list[BaseModel]:
    def seconded(pair: Pair) -> ManagerSeconded:
        return ManagerSeconded(
            **facts_of(state, pair),
            start_date=c.start_date,
            end_date=c.end_date,
            secondment_id=c.secondment_id,
            direction=c.direction,
            role=c.role,
            form=c.form,
            content=c.content,
            personal=c.personal,
        )

    if already_recorded(state, c.secondment_id, seconded):
        return []
    pair = active_pair(state, c.stage, c.start_date)
    same_side = [(s.start_date, s.end_date) for s in pair.secondments if s.direction is c.direction]
    if most_at_once(same_side, c.start_date, c.end_date) >= targets.secondments_max:
        raise Rejection(
            "too_many_secondments",
            (
                "pair {pair_id} already has {secondments_max} managers seconded "
                "{direction} during {start_date}..{end_date}"
            ),
            pair_id=pair.pair_id,
            secondments_max=targets.secondments_max,
            direction=named("direction", c.direction),
            start_date=c.start_date,
            end_date=c.end_date,
        )
    return [seconded(pair)]


def record_shadowing(
    state: HelpedSchool, c: RecordShadowing, targets: CountyTargets
) -> list[BaseModel]:
    months = months_between(c.start_date, c.end_date)
    within = targets.shadowing_min <= months <= targets.shadowing_max

    def shadowed(pair: Pair) -> ShadowingRecorded:
        return ShadowingRecorded(
            **facts_of(state, pair),
            start_date=c.start_date,
            end_date=c.end_date,
            shadowing_id=c.shadowing_id,
            host_school_id=pair.helper_school_id,
            subject=c.subject,
            months=months,
            within_target=within,
            exception_reason=c.exception_reason,
            personal=c.personal,
        )

    if already_recorded(state, c.shadowing_id, shadowed):
        return []
    pair = active_pair(state, c.stage, c.start_date)
    if not within and c.exception_reason is None:
        raise Rejection(
            "shadowing_outside_target",
            (
                "{start_date}..{end_date} is {months} months, outside "
                "{shadowing_min}-{shadowing_max}; give an exception_reason"
            ),
            start_date=c.start_date,
            end_date=c.end_date,
            months=months,
            shadowing_min=targets.shadowing_min,
            shadowing_max=targets.shadowing_max,
        )
    return [shadowed(pair)]
