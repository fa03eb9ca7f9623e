"""The staffing targets per county in force: the ones adopted by command, as events.

`TargetsInForce` folds every county's targets stream and refreshes before each request (one
small query on the store's streams table; streams that moved are reloaded), so a county
adopted or revised while the service runs applies to the next request, on every replica.
`targets.toml` is the pilot's example only (the shape of `CountyTargets`), read by tests.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.staffing.types import CountyTargets
from contracts.types import CountyCode
from services.staffing.domain.plan import PLAN
from shared.eventstore import EventStore
from shared.processor import payload_of

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


class TargetsInForce(Mapping[str, CountyTargets]):
    """County code -> the targets it adopted last; reloaded where a targets stream moved."""

    STREAM_TYPE = "staffing_targets"

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.versions: dict[str, int] = {}
        self.targets: dict[str, CountyTargets] = {}

    async def refresh(self) -> None:
        moved = await self.store.load_moved_streams(self.STREAM_TYPE, self.versions)
        for events in moved.values():
            state = PLAN.fold(map(payload_of, events))
            if state.targets is not None:
                self.targets[state.county] = state.targets

    def __getitem__(self, county: str) -> CountyTargets:
        return self.targets[county]

    def __iter__(self) -> Iterator[str]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)
