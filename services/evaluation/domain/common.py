"""What every aggregate of the service shares."""

from __future__ import annotations

from pydantic import BaseModel

from shared.decider import Rejection


def once(recorded: BaseModel | None, new: BaseModel, code: str, message: str) -> list[BaseModel]:
    """Record `new` the first time; the same again changes nothing; anything else is refused."""
    if recorded is None:
        return [new]
    if recorded == new:
        return []
    raise Rejection(code, message)
