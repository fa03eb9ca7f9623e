"""The assistance contracts check their input before any decision: a command that fails here is
answered `invalid_command` naming the field, and nothing is written.

Also: a StudentRegistered published at version 1 still reads, as version 2.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts.assistance import commands as c
from contracts.assistance.events import StudentRegistered, StudentRegisteredV1
from contracts.envelope import EventEnvelope
from contracts.personal import SEALINGS
from contracts.registry import COMMAND_MODELS, latest_version, parse_event, upcast
from contracts.types import GRADES, Stage

STUDENT = "28d38190-6eaf-46af-8f51-15d2cc26082c"
OTHER = "5b7c1d0e-3f2a-4e6b-9c8d-7a1b2c3d4e5f"
PERSONAL = {
    "student_registry_id": "G610831200909140274",
    "name": "李静",
    "gender": "female",
    "birth_date": "2009-09-14",
    "household_id": "61083104270318",
}
ENROLMENT = {
    "county": "610831",
    "school": "子洲县实验小学",
    "stage": "primary",
    "grade": 3,
    "boarding": True,
}
VALID: dict[type[BaseModel], dict[str, Any]] = {
    c.RegisterStudent: {**ENROLMENT, "personal": PERSONAL, "school_year": 2017},
    c.ReviseStudent: {**ENROLMENT, "personal": PERSONAL, "revision": "2018"},
    c.ReturnToSchool: {**ENROLMENT, "student_id": STUDENT, "returned_on": "2017-12-11"},
    c.GrantTermAid: {"student_id": STUDENT, "term": "2017-autumn"},
    c.PayTermAid: {
        "student_id": STUDENT,
        "term": "2017-autumn",
        "paid_on": "2017-10-10",
        "channel": "one_card_account",
        "reference": "ZZ-2017-10",
    },
    c.PayAid: {
        "student_id": STUDENT,
        "term": "2017-autumn",
        "programme": "boarding_living_allowance",
        "amount": "500.00",
        "paid_on": "2017-10-10",
        "channel": "bank_transfer",
        "reference": "BANK-0001",
    },
    c.TransferStudent: {
        "student_id": STUDENT,
        "to_school": "榆阳区第一小学",
        "to_county": "610802",
        "boarding": False,
        "transferred_on": "2017-11-06",
    },
    c.DispatchUniversityRoster: {
        "county": "610831",
        "university": "西北大学",
        "school_year": 2017,
        "student_ids": [STUDENT, OTHER],
        "dispatched_on": "2017-09-20",
        "report_due_on": "2017-11-30",
    },
    c.UniversityAidEntry: {
        "student_id": STUDENT,
        "channel": "national_grant",
        "amount": "3000.00",
        "tier": 2,
    },
    c.RequestPublicFunds: {
        "request_id": "ZZJY-2017-031",
        "county": "610831",
        "school_year": 2017,
        "students": 2758,
        "rate_per_student": "150.00",
        "requested_amount": "413700.00",
        "requested_on": "2017-10-09",
    },
    c.AnswerPublicFunds: {
        "request_id": "ZZJY-2017-031",
        "county": "610831",
        "decision": "partly_approved",
        "approved_amount": "300000.00",
        "answered_on": "2017-12-20",
    },
    c.RevokeAidGrant: {
        "student_id": STUDENT,
        "term": "2017-autumn",
        "programme": "boarding_living_allowance",
        "reason": "wrongly listed as a boarder",
        "revoked_on": "2017-10-20",
    },
    c.LoadAidCatalogue: {
        "effective_from": "2018-autumn",
        "programmes": [
            {
                "programme": "preschool_grant",
                "name": "Preschool grant",
                "payment": "half_per_term",
                "amounts": {"preschool": "750.00"},
            }
        ],
    },
}


def with_changes(model: type[BaseModel], **changes: Any) -> dict[str, Any]:
    return {**VALID[model], **changes}


def refusal(model: type[BaseModel], **changes: Any) -> str:
    """The validation message for the valid payload of `model` with these changes."""
    with pytest.raises(ValidationError) as refused:
        model.model_validate(with_changes(model, **changes))
    return str(refused.value)


def fields_refused(model: type[BaseModel], **changes: Any) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(with_changes(model, **changes))
    return {".".join(str(x) for x in e["loc"]) for e in refused.value.errors()}


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_the_valid_payloads_are_valid(model: type[BaseModel]) -> None:
    assert model.model_validate(VALID[model])


def test_every_command_of_the_issue_is_accepted_by_the_service() -> None:
    assistance = {name for name, model in COMMAND_MODELS.items() if model.__module__ == c.__name__}

    assert assistance == {
        "EraseStudentPersonalData",
        "RegisterStudent",
        "ReviseStudent",
        "RemoveFromRoster",
        "PromoteStudent",
        "GraduateStudent",
        "TransferStudent",
        "RecordLeaving",
        "ReturnToSchool",
        "ResolveDropoutAlert",
        "GrantTermAid",
        "PayTermAid",
        "PayAid",
        "RevokeAidGrant",
        "LoadAidCatalogue",
        "DispatchUniversityRoster",
        "RecordUniversityAidReport",
        "RequestPublicFunds",
        "AnswerPublicFunds",
        "RecordStudentLoan",
        "RecordGreenChannel",
    }


def test_an_unknown_field_is_refused() -> None:
    assert fields_refused(c.GrantTermAid, amount="500.00") == {"amount"}


# Registry numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "registry_id",
    ["G610831200909140274", "J61083120090914027X", "L610831200909140274", "610831200909140274"],
)
def test_a_registry_number_is_an_optional_letter_17_digits_and_a_check(registry_id: str) -> None:
    personal = {**PERSONAL, "student_registry_id": registry_id}

    assert c.RegisterStudent.model_validate(with_changes(c.RegisterStudent, personal=personal))


@pytest.mark.parametrize(
    "registry_id",
    [
        "12345",
        "G61083120090914027",  # 16 digits and a check
        "G6108312009091402745",  # one too many
        "g610831200909140274",  # lower-case letter
        "A610831200909140274",  # not G, J or L
        "G61083120090914027Y",  # check neither digit nor X
        "G6108312009X9140274",  # X inside
        "",
    ],
)
def test_a_malformed_registry_number_is_refused_naming_the_field(registry_id: str) -> None:
    personal = {**PERSONAL, "student_registry_id": registry_id}

    for model in (c.RegisterStudent, c.ReviseStudent):
        assert fields_refused(model, personal=personal) == {"personal.student_registry_id"}


# Stages and grades -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(Stage), ids=str)
def test_every_grade_of_a_stage_exists_and_no_other(stage: Stage) -> None:
    for model in (c.RegisterStudent, c.ReviseStudent, c.ReturnToSchool):
        for grade in range(1, GRADES[stage] + 1):
            assert model.model_validate(with_changes(model, stage=stage, grade=grade))
        for grade in (0, -1, GRADES[stage] + 1):
            message = refusal(model, stage=stage, grade=grade)
            assert f"{stage.value} has grades 1-{GRADES[stage]} only" in message


def test_the_grades_are_those_of_the_chinese_school_system() -> None:
    assert GRADES == {
        Stage.PRESCHOOL: 3,
        Stage.PRIMARY: 6,
        Stage.JUNIOR: 3,
        Stage.HIGH_SCHOOL: 3,
        Stage.VOCATIONAL: 3,
        Stage.UNDERGRADUATE: 5,
        Stage.JUNIOR_COLLEGE: 3,
    }


def test_an_unknown_stage_is_refused_naming_the_field() -> None:
    assert fields_refused(c.RegisterStudent, stage="kindergarten") == {"stage"}
    assert fields_refused(c.ReturnToSchool, stage="kindergarten") == {"stage"}


def test_a_graduation_names_a_real_stage() -> None:
    graduation = {
        "student_id": STUDENT,
        "to_stage": "junior",
        "school": "子洲县第二中学",
        "boarding": True,
        "school_year": 2018,
    }

    assert c.GraduateStudent.model_validate(graduation)
    with pytest.raises(ValidationError, match="to_stage"):
        c.GraduateStudent.model_validate({**graduation, "to_stage": "middle"})


# Terms, school years, counties -----------------------------------------------------------------


@pytest.mark.parametrize("term", ["2017-autumn", "2018-spring", "2000-autumn", "2100-spring"])
def test_a_term_is_a_year_and_autumn_or_spring(term: str) -> None:
    for model in (c.GrantTermAid, c.PayTermAid, c.PayAid, c.RevokeAidGrant):
        assert model.model_validate(with_changes(model, term=term))
    assert c.LoadAidCatalogue.model_validate(with_changes(c.LoadAidCatalogue, effective_from=term))


@pytest.mark.parametrize(
    "term",
    [
        "2017-summer",
        "2017-Autumn",
        "17-autumn",
        "2017autumn",
        "autumn-2017",
        "1999-autumn",
        "2101-spring",
        "",
    ],
)
def test_a_malformed_term_is_refused_naming_the_field(term: str) -> None:
    for model in (c.GrantTermAid, c.PayTermAid, c.PayAid, c.RevokeAidGrant):
        assert fields_refused(model, term=term) == {"term"}
        assert "a term looks like 2017-autumn or 2018-spring" in refusal(model, term=term)
    assert fields_refused(c.LoadAidCatalogue, effective_from=term) == {"effective_from"}


@pytest.mark.parametrize("year", [1999, 2101, "2017-2018"])
def test_a_school_year_is_the_year_it_starts(year: object) -> None:
    assert fields_refused(c.RegisterStudent, school_year=year) == {"school_year"}
    assert fields_refused(c.DispatchUniversityRoster, school_year=year) == {"school_year"}


def test_a_registration_may_leave_the_school_year_to_the_service() -> None:
    command = c.RegisterStudent.model_validate(with_changes(c.RegisterStudent, school_year=None))

    assert command.school_year is None


@pytest.mark.parametrize("county", ["6108", "6108311", "61083a", " 610831", "", 610831])
def test_a_county_code_is_six_digits(county: object) -> None:
    assert fields_refused(c.RegisterStudent, county=county) == {"county"}
    assert fields_refused(c.ReturnToSchool, county=county) == {"county"}
    assert fields_refused(c.TransferStudent, to_county=county) == {"to_county"}
    assert fields_refused(c.DispatchUniversityRoster, county=county) == {"county"}
    assert fields_refused(c.AnswerPublicFunds, county=county) == {"county"}


def test_a_transfer_may_stay_in_the_county() -> None:
    command = c.TransferStudent.model_validate(with_changes(c.TransferStudent, to_county=None))

    assert command.to_county is None


@pytest.mark.parametrize("revision", ["", "2018 revision", "-2018", "x" * 41])
def test_a_revision_is_a_short_name(revision: str) -> None:
    assert fields_refused(c.ReviseStudent, revision=revision) == {"revision"}


# Amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("-0.01", "greater than or equal to 0"),
        ("-500.00", "greater than or equal to 0"),
        ("500.001", "2 decimal places"),
        ("0.005", "2 decimal places"),
        ("five hundred", "valid decimal"),
    ],
)
def test_an_amount_is_non_negative_yuan_with_at_most_two_decimals(amount: str, reason: str) -> None:
    assert reason in refusal(c.PayAid, amount=amount)
    assert reason in refusal(c.UniversityAidEntry, amount=amount)
    assert reason in refusal(c.AnswerPublicFunds, approved_amount=amount)
    assert fields_refused(c.RequestPublicFunds, rate_per_student=amount) >= {"rate_per_student"}


@pytest.mark.parametrize("amount", ["500", "500.5", "500.50", "0.01"])
def test_yuan_may_be_written_with_fewer_decimals(amount: str) -> None:
    assert c.PayAid.model_validate(with_changes(c.PayAid, amount=amount))


def test_a_payment_of_nothing_is_refused() -> None:
    for zero in ("0", "0.00"):
        assert "a payment is more than 0.00 yuan" in refusal(c.PayAid, amount=zero)
        assert fields_refused(c.PayAid, amount=zero) == {"amount"}


def test_the_green_channel_is_reported_at_no_amount() -> None:
    entry = with_changes(c.UniversityAidEntry, channel="green_channel", amount="0.00", tier=None)

    assert c.UniversityAidEntry.model_validate(entry)


@pytest.mark.parametrize("tier", [0, 4])
def test_a_national_grant_tier_is_1_to_3(tier: int) -> None:
    assert fields_refused(c.UniversityAidEntry, tier=tier) == {"tier"}


def test_the_requested_public_funds_are_students_times_the_rate() -> None:
    message = refusal(c.RequestPublicFunds, requested_amount="413000.00")

    assert "requested_amount 413000.00 is not students x rate (2758 x 150.00)" in message
    assert fields_refused(c.RequestPublicFunds, students=0) == {"students"}


def test_a_funds_decision_is_approved_partly_approved_or_declined() -> None:
    assert fields_refused(c.AnswerPublicFunds, decision="pending") == {"decision"}


# University rosters ----------------------------------------------------------------------------


def test_a_report_cannot_be_due_before_the_roster_is_sent() -> None:
    message = refusal(c.DispatchUniversityRoster, report_due_on="2017-09-19")

    assert "report_due_on is before dispatched_on" in message
    same_day = with_changes(c.DispatchUniversityRoster, report_due_on="2017-09-20")
    assert c.DispatchUniversityRoster.model_validate(same_day)


def test_a_student_is_listed_once_on_a_university_roster() -> None:
    assert "a student is listed twice" in refusal(
        c.DispatchUniversityRoster, student_ids=[STUDENT, OTHER, STUDENT]
    )
    assert fields_refused(c.DispatchUniversityRoster, student_ids=[]) == {"student_ids"}


# Other texts -----------------------------------------------------------------------------------


def test_a_revocation_gives_its_reason() -> None:
    assert fields_refused(c.RevokeAidGrant, reason="") == {"reason"}
    assert fields_refused(c.RevokeAidGrant, programme="Boarding Allowance") == {"programme"}


def test_a_payment_names_a_known_channel_and_a_reference() -> None:
    assert fields_refused(c.PayTermAid, channel="wechat") == {"channel"}
    assert fields_refused(c.PayTermAid, reference="") == {"reference"}


# StudentRegistered: version 1 still reads ------------------------------------------------------

V1_PAYLOAD = {
    "student_id": STUDENT,
    "county": "610831",
    "school": "子洲县实验小学",
    "stage": "primary",
    "grade": 3,
    "boarding": True,
    "personal": PERSONAL,
}


def v1_envelope(payload: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {
            "event_id": "65d05b0f-5b46-4305-ab9e-20014767a2cd",
            "event_type": "StudentRegistered",
            "schema_version": 1,
            "service": "assistance",
            "position": 1207,
            "stream_id": STUDENT,
            "stream_type": "student",
            "version": 1,
            "county": "610831",
            "occurred_at": "2017-09-04T09:12:30+08:00",
            "recorded_at": "2017-09-04T01:12:30.418000Z",
            "actor": "wang.li",
            "department": "aid_center",
            "correlation_id": "78f22b6a-fcb7-491b-8579-ffe5fa5cd79b",
            "causation_id": None,
            "command_id": None,
            "payload": payload,
        }
    )


def test_student_registered_is_at_version_3_whose_personal_part_is_sealed() -> None:
    assert latest_version("StudentRegistered") == 3
    assert SEALINGS["StudentRegistered"].clear_version == 2


def test_a_version_1_registration_reads_as_version_3_in_clear_parts_only() -> None:
    """Recorded in clear before sealing: its upcast has nothing to seal the part with."""
    event = parse_event(v1_envelope(V1_PAYLOAD))

    assert isinstance(event, StudentRegistered)
    assert event.personal is None
    assert StudentRegisteredV1.model_validate(V1_PAYLOAD).model_dump(
        exclude={"personal"}
    ) == event.model_dump(
        exclude={"school_year", "roster_revision", "programme_years", "school_category", "personal"}
    )


def test_the_upcaster_adds_the_two_fields_and_keeps_the_rest() -> None:
    version, payload = upcast("StudentRegistered", 1, dict(V1_PAYLOAD), target=2)

    assert version == 2
    assert payload == {**V1_PAYLOAD, "school_year": None, "roster_revision": None}


def test_version_2_requires_the_new_fields_said_even_when_unknown() -> None:
    with pytest.raises(ValidationError) as refused:
        StudentRegistered.model_validate(V1_PAYLOAD)

    assert {e["loc"][0] for e in refused.value.errors()} == {"school_year", "roster_revision"}


def test_a_version_1_payload_with_version_2_fields_is_refused_as_version_1() -> None:
    with pytest.raises(ValidationError):
        StudentRegisteredV1.model_validate({**V1_PAYLOAD, "school_year": 2017})
