"""Reading a county's plan file (YAML, the format of `contracts.evaluation.plan.CountyPlan`):
checked as a whole, so a bad file is refused with every reason and nothing is sent."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from contracts.evaluation.plan import CountyPlan

PILOT_PLAN = Path(__file__).parent / "examples" / "county_plan.yaml"
"""The pilot's plan (Zizhou, 610831): the example of the format."""


class PlanFileError(ValueError):
    """The plan file cannot be used; nothing of it applies."""


def read_plan(path: Path) -> CountyPlan:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PlanFileError(f"{path}: not valid YAML: {exc}") from None
    try:
        return CountyPlan.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'plan'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise PlanFileError(f"{path}: {reasons}") from None
