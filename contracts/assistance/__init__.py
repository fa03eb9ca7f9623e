"""Contracts of the assistance service (student aid): commands, events, queries."""

from __future__ import annotations

from typing import Any

from contracts.assistance import commands as c
from contracts.assistance import events as e
from contracts.specs import CommandSpec, EventSpec, Upcaster

EVENTS: tuple[EventSpec, ...] = (
    EventSpec("assistance", "student", "StudentRegistered", 1, e.StudentRegisteredV1),
    EventSpec("assistance", "student", "StudentRegistered", 2, e.StudentRegistered),
    EventSpec("assistance", "student", "StudentDetailsRevised", 1, e.StudentDetailsRevisedV1),
    EventSpec(
        "assistance", "student", "StudentDetailsRevised", 3, e.StudentDetailsRevised, sealed=True
    ),
    EventSpec("assistance", "student", "StudentRemovedFromRoster", 1, e.StudentRemovedFromRoster),
    EventSpec("assistance", "student", "StudentRestoredToRoster", 1, e.StudentRestoredToRoster),
    EventSpec("assistance", "student", "StudentPromoted", 1, e.StudentPromoted),
    EventSpec("assistance", "student", "StudentGraduated", 1, e.StudentGraduated),
    EventSpec("assistance", "student", "StudentTransferred", 1, e.StudentTransferred),
    EventSpec("assistance", "student", "StudentLeftSchool", 1, e.StudentLeftSchool),
    EventSpec("assistance", "student", "StudentReturnedToSchool", 1, e.StudentReturnedToSchool),
    EventSpec("assistance", "student", "DropoutAlertRaised", 1, e.DropoutAlertRaised),
    EventSpec("assistance", "student", "DropoutAlertResolved", 1, e.DropoutAlertResolved),
    EventSpec("assistance", "student", "StudentAidAssessed", 1, e.StudentAidAssessed),
    EventSpec("assistance", "student", "AidGranted", 1, e.AidGranted),
    EventSpec("assistance", "student", "AidPaid", 1, e.AidPaid),
    EventSpec("assistance", "student", "AidGrantRevoked", 1, e.AidGrantRevoked),
    EventSpec("assistance", "student", "StudentLoanRecorded", 1, e.StudentLoanRecorded),
    EventSpec("assistance", "student", "GreenChannelUsed", 1, e.GreenChannelUsed),
    EventSpec("assistance", "student", "PersonalDataErased", 1, e.PersonalDataErased),
    EventSpec("assistance", "catalogue", "AidProgrammeSet", 1, e.AidProgrammeSet),
    EventSpec("assistance", "catalogue", "AidProgrammeWithdrawn", 1, e.AidProgrammeWithdrawn),
    EventSpec(
        "assistance",
        "university_dispatch",
        "UniversityRosterDispatched",
        1,
        e.UniversityRosterDispatched,
    ),
    EventSpec(
        "assistance", "university_dispatch", "UniversityAidReported", 1, e.UniversityAidReported
    ),
    EventSpec("assistance", "funds_request", "PublicFundsRequested", 1, e.PublicFundsRequested),
    EventSpec("assistance", "funds_request", "PublicFundsAnswered", 1, e.PublicFundsAnswered),
)

COMMANDS: tuple[CommandSpec, ...] = tuple(
    CommandSpec("assistance", model.__name__, model)
    for model in (
        c.RegisterStudent,
        c.ReviseStudent,
        c.RemoveFromRoster,
        c.PromoteStudent,
        c.GraduateStudent,
        c.TransferStudent,
        c.RecordLeaving,
        c.ReturnToSchool,
        c.ResolveDropoutAlert,
        c.GrantTermAid,
        c.PayTermAid,
        c.PayAid,
        c.RevokeAidGrant,
        c.LoadAidCatalogue,
        c.DispatchUniversityRoster,
        c.RecordUniversityAidReport,
        c.RequestPublicFunds,
        c.AnswerPublicFunds,
        c.RecordStudentLoan,
        c.RecordGreenChannel,
        c.EraseStudentPersonalData,
    )
)


def _student_registered_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """Version 1 did not say for which school year the grade was, nor which revision."""
    return {**payload, "school_year": None, "roster_revision": None}


def _student_details_revised_v2_to_v3(payload: dict[str, Any]) -> dict[str, Any]:
    """Version 2 carried no school category nor programme length: it changed neither, and
    `changed` does not name them, so the student keeps theirs."""
    return {**payload, "school_category": None, "programme_years": None}


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("StudentRegistered", 1): _student_registered_v1_to_v2,
    ("StudentDetailsRevised", 2): _student_details_revised_v2_to_v3,
}
