"""What every aggregate of the service shares."""

from __future__ import annotations

from pydantic import BaseModel

from shared.decider import Rejection


def once(
    recorded: BaseModel | None, new: BaseModel, code: str, template: str, /, **values: object
) -> list[BaseModel]:
    """Record `new` the first time; the same again changes nothing; anything else is refused
    (`template` and `values` as `Rejection` takes them)."""
    if recorded is None:
        return [new]
    if recorded == new:
        return []
    raise Rejection(code, template, **values)
