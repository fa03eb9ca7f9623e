"""Erasure of the names a pairing record holds (its data key is destroyed as it is stored)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from contracts.pairing.commands import ErasePairingPersonalData
from contracts.pairing.events import PairingPersonalDataErased
from services.pairing.domain.school import HelpedSchool
from shared.decider import Rejection
from shared.i18n import named


def erase_personal_data(state: HelpedSchool, c: ErasePairingPersonalData) -> Sequence[BaseModel]:
    """Only a record of this school with names; erased already: nothing more to do."""
    record = state.records.get(c.record_id)
    if record is None or "personal" not in type(record).model_fields:
        raise Rejection(
            "unknown_record",
            "school {helped_school_id} has no record {record_id} that names people",
            helped_school_id=named("school", c.helped_school_id),
            record_id=c.record_id,
        )
    if c.record_id in state.erased:
        return []
    return [
        PairingPersonalDataErased(
            county=c.county,
            helped_school_id=c.helped_school_id,
            record_id=c.record_id,
            key_id=f"record:{c.record_id}",
            reason=c.reason,
            requested_by=c.requested_by,
        )
    ]
