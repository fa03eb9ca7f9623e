"""Contracts of the pairing service: commands and events, declared for the registry."""

from __future__ import annotations

from contracts.pairing import commands as c
from contracts.pairing import events as e
from contracts.specs import CommandSpec, EventSpec, Upcaster

SCHOOL = "helped_school"
TARGETS = "pairing_targets"

EVENTS: tuple[EventSpec, ...] = (
    EventSpec("pairing", TARGETS, "PairingTargetsAdopted", 1, e.PairingTargetsAdopted),
    *(
        EventSpec("pairing", SCHOOL, model.__name__, 1, model)
        for model in (
            e.PairEstablished, e.PairSuspended, e.PairResumed, e.PairEnded, e.ManagerSeconded,
            e.ShadowingRecorded, e.TeacherPairingAgreed, e.ModelLessonGiven, e.ExchangeVisitMade,
            e.TeachingResourceShared, e.SchoolSystemMilestoneAchieved,
            e.StandardisedAssessmentPassed, e.PairingPersonalDataErased,
        )
    ),
)  # fmt: skip

COMMANDS: tuple[CommandSpec, ...] = tuple(
    CommandSpec("pairing", model.__name__, model)
    for model in (
        c.AdoptPairingTargets, c.EstablishPair, c.SuspendPair, c.ResumePair, c.EndPair,
        c.SecondManager, c.RecordShadowing, c.AgreeTeacherPairing, c.RecordModelLesson,
        c.RecordExchangeVisit, c.ShareTeachingResource, c.RecordSchoolSystemMilestone,
        c.RecordStandardisedAssessment, c.ErasePairingPersonalData,
    )
)  # fmt: skip

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
