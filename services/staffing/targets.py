"""The staffing targets per county in force: the ones adopted by command, as events.

`TargetsInForce` folds every county's targets stream and refreshes before each request (one
small query on the store's streams table; streams that moved are reloaded), so a county
adopted or revised while the service runs applies to the next request, on every replica.
A decision uses the targets in force on its command's business day (`business_day`): a
revision from a later day does not judge earlier facts, nor apply before its day.
`targets.toml` is the pilot's example only (the shape of `CountyTargets`), read by tests.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.staffing.events import StaffingTargetsAdopted
from contracts.staffing.terms import first_day
from contracts.staffing.types import CountyTargets
from contracts.types import CountyCode
from shared.eventstore import EventStore
from shared.processor import payload_of
from shared.revisions import Revision, in_force_or_first

DEFAULT_TARGETS = Path(__file__).with_name("targets.toml")


class TargetsError(ValueError):
    """The targets file cannot be used; nothing of it applies."""


class _TargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counties: dict[CountyCode, CountyTargets]


StaffingTargets = Mapping[str, CountyTargets]
"""County code -> its targets."""


def load_targets(path: Path = DEFAULT_TARGETS) -> StaffingTargets:
    try:
        with path.open("rb") as f:
            spec = _TargetsFile.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise TargetsError(f"{path}: {reasons}") from None
    return dict(spec.counties)


DAY_FIELDS = ("visited_on", "starts_on", "placed_on", "recruited_on", "arrived_on", "held_on")
TERM_FIELDS = ("start_term", "term", "planned_end_term", "last_term")


def business_day(command: Any) -> date | None:
    """The day the fact a command records is about, whose targets in force judge it: its
    date, else the first day of its (first) term, else of its school year; None when it
    names no day (a raised target, a withdrawal), judged by the latest adopted targets.
    An extension is judged on the first day of its new last term."""
    for name in DAY_FIELDS:
        if isinstance(day := getattr(command, name, None), date):
            return day
    for name in TERM_FIELDS:
        if isinstance(term := getattr(command, name, None), str):
            return first_day(term)
    year = getattr(command, "school_year", None)
    return date(year, 9, 1) if isinstance(year, int) else None


class TargetsInForce(Mapping[str, CountyTargets]):
    """County code -> the targets it adopted last; `on(day)`: those in force on a day. Every
    revision is kept, reloaded where a targets stream moved."""

    STREAM_TYPE = "staffing_targets"

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.versions: dict[str, int] = {}
        self.targets: dict[str, CountyTargets] = {}
        self.revisions: dict[str, list[Revision[CountyTargets]]] = {}

    async def refresh(self) -> None:
        moved = await self.store.load_moved_streams(self.STREAM_TYPE, self.versions)
        for events in moved.values():
            adopted = [
                (e.version, p)
                for e in events
                if isinstance(p := payload_of(e), StaffingTargetsAdopted)
            ]
            if adopted:
                county = adopted[-1][1].county
                self.targets[county] = adopted[-1][1].targets
                self.revisions[county] = [
                    Revision(p.applies_from(), version, p.targets) for version, p in adopted
                ]

    def on(self, day: date | None) -> StaffingTargets:
        """County -> its targets in force on `day` (`shared.revisions.in_force_or_first`);
        `day` None: the latest adopted."""
        if day is None:
            return self
        found = {c: in_force_or_first(revisions, day) for c, revisions in self.revisions.items()}
        return {c: r.value for c, r in found.items() if r is not None}

    def __getitem__(self, county: str) -> CountyTargets:
        return self.targets[county]

    def __iter__(self) -> Iterator[str]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)
