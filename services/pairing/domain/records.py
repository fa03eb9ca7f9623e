"""What every record made through a pair shares: an active pair, a date within it, an id.

A record's id is chosen by the client, so loading the same activity twice records it once;
the same id with other data is refused rather than taken for a correction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from contracts.types import Stage
from services.pairing.domain.pairs import current_pair
from services.pairing.domain.school import HelpedSchool, Pair, PairRecord, PairStatus
from shared.decider import Rejection


def active_pair(state: HelpedSchool, stage: Stage, day: date) -> Pair:
    """The stage's pair, which must be active and have started by `day`."""
    pair = current_pair(state, stage)
    if pair.status is PairStatus.SUSPENDED:
        raise Rejection(
            "pair_suspended",
            "pair {pair_id} is suspended since {since}",
            pair_id=pair.pair_id,
            since=pair.since,
        )
    if day < pair.start_date:
        raise Rejection(
            "before_pair_start",
            "pair {pair_id} starts on {start_date}, after {day}",
            pair_id=pair.pair_id,
            start_date=pair.start_date,
            day=day,
        )
    return pair


def already_recorded(
    state: HelpedSchool, record_id: UUID, build: Callable[[Pair], PairRecord]
) -> bool:
    """True if this very record is stored; a different record under its id is refused."""
    existing = state.records.get(record_id)
    if existing is None:
        return False
    if build(state.pair(existing.pair_id)) == existing:
        return True
    raise Rejection(
        "record_id_taken",
        "{record_id} already names a different record ({kind})",
        record_id=record_id,
        kind=type(existing).__name__,
    )
