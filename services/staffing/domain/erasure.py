"""Erasure of a person's name (its data key is destroyed as the event is stored): one stream
per erased key, so erasing again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts.staffing.commands import EraseStaffPersonalData
from contracts.staffing.events import StaffPersonalDataErased
from shared.decider import Aggregate


@dataclass(frozen=True)
class Erasure:
    county: str = ""
    erased: bool = False


def _evolve(state: Erasure, event: BaseModel) -> Erasure:
    if isinstance(event, StaffPersonalDataErased):
        return Erasure(county=event.county, erased=True)
    return state


ERASURE = Aggregate("personal_data_erasure", Erasure(), _evolve, lambda s: s.county)


def erasure_stream(c: EraseStaffPersonalData) -> str:
    return f"erasure-{c.subject}-{c.subject_id}"


def erase(state: Erasure, c: EraseStaffPersonalData) -> list[BaseModel]:
    if state.erased:
        return []
    return [
        StaffPersonalDataErased(
            county=c.county,
            subject=c.subject,
            subject_id=c.subject_id,
            key_id=f"{c.subject}:{c.subject_id}",
            reason=c.reason,
            requested_by=c.requested_by,
        )
    ]
