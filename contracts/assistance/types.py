"""Value types of the student-aid contracts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

PROVINCE = "610000"
"""Administrative code of Shaanxi province: the 'county' of province-wide streams (catalogue)."""

ProgrammeId = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="Aid programme id, e.g. preschool_grant.")
]
SchoolYear = Annotated[
    int,
    Field(ge=2000, le=2100, description="School year by the year it starts: 2017 = 2017-2018."),
]
SchoolName = Annotated[str, Field(min_length=1, max_length=200, description="School name.")]
RevisionId = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,39}$",
        description="Name of a yearly roster revision, e.g. 2018.",
    ),
]
Reference = Annotated[
    str, Field(min_length=1, max_length=80, description="Reference given by the payer or bank.")
]


class PaymentChannel(StrEnum):
    """How a grant reaches the family."""

    ONE_CARD_ACCOUNT = "one_card_account"  # 一卡通 subsidy bank account
    BANK_TRANSFER = "bank_transfer"
    SCHOOL_ACCOUNT = "school_account"  # e.g. meal subsidy paid to the canteen
    FEE_WAIVED = "fee_waived"  # a waiver: nothing is paid out, the fee is not charged
    CASH = "cash"


class LeaveReason(StrEnum):
    DROPPED_OUT = "dropped_out"
    MOVED_AWAY = "moved_away"  # left the county with no transfer on record
    ILLNESS = "illness"
    DECEASED = "deceased"
    COMPLETED = "completed"  # finished the last stage they study in
    OTHER = "other"


class AlertResolution(StrEnum):
    RETURNED_TO_SCHOOL = "returned_to_school"
    TRANSFERRED = "transferred"  # found enrolled elsewhere
    EXEMPTED = "exempted"  # e.g. special education at home, approved
    OTHER = "other"


class UniversityChannel(StrEnum):
    """Channels through which universities aid registered poor students."""

    NATIONAL_GRANT = "national_grant"
    UNIVERSITY_GRANT = "university_grant"
    STUDENT_LOAN = "student_loan"
    WORK_STUDY = "work_study"
    GREEN_CHANNEL = "green_channel"
    TUITION_WAIVER = "tuition_waiver"
    FRESHMAN_TRAVEL_GRANT = "freshman_travel_grant"


class FundsDecision(StrEnum):
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    DECLINED = "declined"


class SchoolCategory(StrEnum):
    """What sets a student's amount within a stage: a high school's grade (province, city or
    rural standard), a university's location (in or out of the province)."""

    PROVINCIAL = "provincial"
    CITY = "city"
    RURAL = "rural"
    IN_PROVINCE = "in_province"
    OUT_OF_PROVINCE = "out_of_province"


class Payment(StrEnum):
    """How a programme's yearly amount is granted per term."""

    HALF_PER_TERM = "half_per_term"  # half each autumn, the rest each spring
    AUTUMN_ONCE = "autumn_once"  # a one-off: all of it once in a student's life, in an autumn
