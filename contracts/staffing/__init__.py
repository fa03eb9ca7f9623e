"""Contracts of the staffing service (master teachers, training, teacher supply)."""

from __future__ import annotations

from contracts.specs import CommandSpec, EventSpec, Upcaster
from contracts.staffing import commands, events

_STREAM_TYPES = {
    "StaffingTargetsAdopted": "staffing_targets",
    "SubjectTargetRaised": "subject_post",
    "MasterTeacherDispatched": "subject_post",
    "MasterTeacherArrived": "subject_post",
    "MasterTeacherSupportExtended": "subject_post",
    "MasterTeacherSupportEnded": "subject_post",
    "MasterTeacherDispatchWithdrawn": "subject_post",
    "MasterTeacherExtensionWithdrawn": "subject_post",
    "TeacherAssignmentRecorded": "master_teacher",
    "TeacherAssignmentCancelled": "master_teacher",
    "MenteeAssigned": "master_teacher",
    "MentoringSessionLogged": "master_teacher",
    "CaravanVisitRecorded": "caravan_term",
    "ShadowTrainingRecorded": "trainee",
    "TrainingOrderPlaced": "training_order",
    "TrainingOrderFulfilled": "training_order",
    "SpecialPostQuotaAllocated": "special_post_quota",
    "SpecialPostsFilled": "special_post_quota",
    "NormalGraduatePlaced": "new_teacher",
    "TuitionFreeGraduateRecruited": "new_teacher",
    "StaffPersonalDataErased": "personal_data_erasure",
}

EVENTS: tuple[EventSpec, ...] = tuple(
    EventSpec("staffing", stream_type, name, 1, getattr(events, name))
    for name, stream_type in _STREAM_TYPES.items()
)

COMMANDS: tuple[CommandSpec, ...] = tuple(
    CommandSpec("staffing", name, getattr(commands, name))
    for name in (
        "AdoptStaffingTargets",
        "RaiseSubjectTarget",
        "DispatchMasterTeacher",
        "RecordMasterTeacherArrival",
        "ExtendMasterTeacherSupport",
        "EndMasterTeacherSupport",
        "WithdrawMasterTeacherDispatch",
        "WithdrawMasterTeacherExtension",
        "RecordTeacherAssignment",
        "CancelTeacherAssignment",
        "AssignMentee",
        "LogMentoringSession",
        "RecordCaravanVisit",
        "RecordShadowTraining",
        "PlaceTrainingOrder",
        "FulfilTrainingOrder",
        "AllocateSpecialPostQuota",
        "RecordSpecialPostsFilled",
        "PlaceNormalGraduate",
        "RecruitTuitionFreeGraduate",
        "EraseStaffPersonalData",
    )
)

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
