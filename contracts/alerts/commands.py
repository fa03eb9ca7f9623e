"""Commands of the alerts service (issued by its detector)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from contracts.alerts.events import AlertKey, AlertKind
from contracts.sentence import Sentence
from contracts.types import Contract, CountyCode


class RaiseAlert(Contract):
    """Raise the alert unless it is open already."""

    alert_key: str = AlertKey
    kind: AlertKind = Field(description="Which rule raises it.")
    task_id: str = Field(description="Task of the plan it concerns.")
    county: CountyCode
    subject: str = Field(description="What is behind, for a person.")
    detail: str = Field(description="Why, with the figures.")
    raised_on: date = Field(description="Date the gap was found.")
    subject_said: Sentence | None = Field(
        None, description="`subject` as a catalogue sentence, for the reader's language."
    )
    detail_said: Sentence | None = Field(
        None, description="`detail` as a catalogue sentence, for the reader's language."
    )


class ResolveAlert(Contract):
    """Resolve the alert if it is open."""

    alert_key: str = AlertKey
    resolved_on: date = Field(description="Date the gap was found closed.")
    how: str = Field(description="What closed it.")
