"""The staffing targets per county: data in targets.toml, checked as a whole when loaded.

Each county's table has the shape of `contracts.staffing.types.CountyTargets`, the same
shape `StaffingTargetsAdopted` publishes, so what the service enforces and what the reports
measure against cannot drift apart in form.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.staffing.types import CountyTargets
from contracts.types import CountyCode

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
