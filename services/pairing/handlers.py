"""Command handlers of the pairing service: which stream, which decision.

Every command addresses one stream: the county's targets, or one helped school (whose stream
holds its pairs and everything recorded through them, see `domain.school`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.pairing.commands import AdoptPairingTargets
from services.pairing.domain import (
    erasure,
    exchange,
    pairs,
    school,
    school_system,
    sharing,
    targets,
)
from services.pairing.targets import CountyTargets, PairingTargets, TargetsInForce
from shared.decider import CommandHandler

PERMISSIONS_FILE = Path(__file__).with_name("permissions.toml")

SchoolDecision = Callable[[school.HelpedSchool, Any], Sequence[BaseModel]]
TargetedDecision = Callable[[school.HelpedSchool, Any, CountyTargets], Sequence[BaseModel]]


def school_stream(c: Any) -> str:
    return school.stream_id(c.county, c.helped_school_id)


def command_handlers(config: PairingTargets | TargetsInForce) -> dict[str, CommandHandler[Any]]:
    """`config`: the targets in force (`TargetsInForce`; a `PairingTargets` file in tests)."""

    def on_school(decide: SchoolDecision) -> CommandHandler[Any]:
        return CommandHandler(school.HELPED_SCHOOL, school_stream, decide)

    def with_targets(decide: TargetedDecision) -> CommandHandler[Any]:
        """The county's targets in force on the first day of what the command records."""
        return on_school(lambda s, c: decide(s, c, config.for_county(c.county, c.start_date)))

    def adopt(s: targets.Targets, c: AdoptPairingTargets) -> Sequence[BaseModel]:
        return targets.adopt_targets(s, c, config.defaults_only())

    return {
        "AdoptPairingTargets": CommandHandler(
            targets.PAIRING_TARGETS, lambda c: targets.stream_id(c.county), adopt
        ),
        "EstablishPair": on_school(pairs.establish_pair),
        "SuspendPair": on_school(pairs.suspend_pair),
        "ResumePair": on_school(pairs.resume_pair),
        "EndPair": on_school(pairs.end_pair),
        "SecondManager": with_targets(exchange.second_manager),
        "RecordShadowing": with_targets(exchange.record_shadowing),
        "AgreeTeacherPairing": on_school(sharing.agree_teacher_pairing),
        "RecordModelLesson": on_school(sharing.record_model_lesson),
        "RecordExchangeVisit": on_school(sharing.record_exchange_visit),
        "ShareTeachingResource": on_school(sharing.share_teaching_resource),
        "RecordSchoolSystemMilestone": on_school(school_system.record_milestone),
        "RecordStandardisedAssessment": on_school(school_system.record_assessment),
        "ErasePairingPersonalData": on_school(erasure.erase_personal_data),
    }


def load_permissions(path: Path = PERMISSIONS_FILE) -> dict[str, frozenset[str]]:
    with path.open("rb") as f:
        return {command: frozenset(departments) for command, departments in tomllib.load(f).items()}
