"""Alerts: a task of the plan falling behind its target, raised and later resolved.

Published on their own stream (`ALERTS`, subjects `events.alerts.<county>.alert.<type>`), so
downstream consumers can follow alerts alone.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import Field

from contracts.sentence import Sentence
from contracts.types import Contract, CountyCode

AlertKey = Field(
    pattern=r"^[a-z_]+/[^\s]+$",
    max_length=200,
    description="What the alert is about, stable while the gap lasts: '<kind>/<detail ids>'.",
)


class AlertKind(StrEnum):
    MISSING_AID = "missing_aid"  # an eligible student without aid after the term's grant run
    DROPOUT_OPEN = "dropout_open"  # a dropout alert left open too long
    SUBJECT_WITHOUT_MASTER_TEACHER = "subject_without_master_teacher"
    CARAVAN_VISIT_MISSING = "caravan_visit_missing"  # none by the end of a season
    PAIR_WITHOUT_SECONDMENT = "pair_without_secondment"
    INSTITUTION_WITHOUT_RESEARCH_VISIT = "institution_without_research_visit"  # by year end


class AlertRaisedV1(Contract):
    """A task fell behind its target."""

    alert_key: str = AlertKey
    kind: AlertKind = Field(description="Which rule raised it.")
    task_id: str = Field(description="Task of the plan it concerns, e.g. 1.2.")
    county: CountyCode
    subject: str = Field(description="What is behind, for a person: a student, a subject, ...")
    detail: str = Field(description="Why, with the figures.")
    raised_on: date = Field(description="Date the gap was found.")


class AlertRaised(AlertRaisedV1):
    """A task fell behind its target.

    Version 2 adds the subject and detail as catalogue sentences, so each reader sees them in
    their own language; `subject` and `detail` stay their English text. An alert raised as
    version 1 has none and keeps showing its stored text.
    """

    subject_said: Sentence | None = Field(
        description="`subject` as a catalogue sentence; None: raised as version 1."
    )
    detail_said: Sentence | None = Field(
        description="`detail` as a catalogue sentence; None: raised as version 1."
    )


def alert_raised_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 said its subject and detail in English only: no sentences."""
    return {**data, "subject_said": None, "detail_said": None}


class AlertResolved(Contract):
    """The gap an alert reported has closed."""

    alert_key: str = AlertKey
    kind: AlertKind = Field(description="Which rule raised it.")
    county: CountyCode
    resolved_on: date = Field(description="Date the gap was found closed.")
    how: str = Field(description="What closed it, as far as the detector knows.")
