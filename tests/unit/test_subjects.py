"""Names on the bus, alone and under a namespace that keeps deployments (or test runs) apart."""

from __future__ import annotations

import pytest

from contracts.subjects import (
    Sender,
    actor_token,
    asker_of,
    command_address,
    command_subject,
    event_subject,
    query_subject,
    sender_of,
    service_commands,
    service_events,
    service_query,
    snake_case,
    stream_name,
    within,
)


def test_each_service_owns_one_stream_named_in_capitals() -> None:
    assert stream_name("assistance") == "ASSISTANCE"
    assert stream_name("staffing") == "STAFFING"


def test_a_namespace_prefixes_the_stream_name() -> None:
    assert stream_name("assistance", namespace="t3f9a") == "T3F9A_ASSISTANCE"


def test_an_event_subject_names_service_county_stream_type_and_event() -> None:
    subject = event_subject("assistance", "610831", "student", "AidGranted")

    assert subject == "events.assistance.610831.student.AidGranted"


SENDER = Sender("aid_center", "610831", "zhang_wei")


def test_a_namespace_prefixes_every_subject() -> None:
    ns = "t3f9a"

    assert (
        event_subject("assistance", "610831", "student", "StudentRegistered", ns)
        == "t3f9a.events.assistance.610831.student.StudentRegistered"
    )
    assert service_events("assistance", ns) == "t3f9a.events.assistance.>"
    assert (
        command_subject("assistance", "GrantTermAid", SENDER, ns)
        == "t3f9a.commands.assistance.aid_center.610831.zhang_wei.grant_term_aid"
    )
    assert (
        query_subject("assistance", "ListStudentIds", SENDER, ns)
        == "t3f9a.queries.assistance.610831.zhang_wei.list_student_ids"
    )


def test_a_service_stream_catches_every_event_of_the_service() -> None:
    assert service_events("assistance") == "events.assistance.>"
    assert event_subject("assistance", "610831", "student", "AidGranted").startswith(
        service_events("assistance").removesuffix(">")
    )


def test_a_command_subject_names_its_sender_and_is_read_back() -> None:
    subject = command_subject("assistance", "RegisterStudent", SENDER)

    assert subject == "commands.assistance.aid_center.610831.zhang_wei.register_student"
    assert sender_of(subject) == (SENDER, "register_student")
    assert sender_of("ns1." + subject, "ns1") == (SENDER, "register_student")
    assert asker_of(query_subject("assistance", "ListStudentIds", SENDER)) == (
        "610831",
        "zhang_wei",
    )


def test_a_service_serves_every_sender_of_its_commands() -> None:
    assert service_commands("assistance") == "commands.assistance.*.*.*.*"
    assert service_query("assistance", "ListStudentIds") == (
        "queries.assistance.*.*.list_student_ids"
    )
    assert command_address("assistance", "GrantTermAid") == (
        "commands.assistance.{department}.{jurisdiction}.{actor}.grant_term_aid"
    )


@pytest.mark.parametrize(
    "subject",
    ["commands.assistance.register_student", "queries.assistance.x.y.z.w", "commands.a.b.c.d.e.f"],
)
def test_a_subject_without_a_sender_is_not_read_as_one(subject: str) -> None:
    with pytest.raises(ValueError, match="is not commands"):
        sender_of(subject)


@pytest.mark.parametrize(
    ("department", "jurisdiction", "actor"),
    [
        ("aid_center", "610831", "zhang.wei"),  # a dot would add a token
        ("aid_center", "610831", "*"),
        ("aid_center", "61083", "zhang"),
        ("Aid Center", "610831", "zhang"),
        ("aid_center", "610831", ">"),
    ],
)
def test_a_sender_is_made_of_subject_tokens_only(
    department: str, jurisdiction: str, actor: str
) -> None:
    with pytest.raises(ValueError, match="cannot be a subject token"):
        Sender(department, jurisdiction, actor)


@pytest.mark.parametrize(
    ("county", "jurisdiction", "inside"),
    [
        ("610831", "610831", True),
        ("610802", "610831", False),
        ("610831", "610800", True),  # Yulin city holds its counties
        ("610202", "610800", False),
        ("610831", "610000", True),  # the province holds every county
        ("610000", "610000", True),  # and its own province-wide streams
        ("610000", "610831", False),  # a county does not reach the province's
        ("620102", "610000", False),
    ],
)
def test_a_jurisdiction_holds_the_counties_below_its_code(
    county: str, jurisdiction: str, inside: bool
) -> None:
    assert within(county, jurisdiction) is inside


def test_a_login_name_becomes_a_subject_token() -> None:
    assert actor_token("zhang.wei") == "zhang_wei"
    assert actor_token("li wei@bureau") == "li_wei_bureau"
    assert actor_token("") == "unknown"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("RegisterStudent", "register_student"),
        ("GrantTermAid", "grant_term_aid"),
        ("Grant", "grant"),
        ("grant_term_aid", "grant_term_aid"),
        ("RecordVisit2", "record_visit2"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert snake_case(name) == expected
