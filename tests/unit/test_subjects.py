"""Names on the bus, alone and under a namespace that keeps deployments (or test runs) apart."""

from __future__ import annotations

import pytest

from contracts.subjects import (
    command_subject,
    event_subject,
    query_subject,
    service_events,
    snake_case,
    stream_name,
)


def test_each_service_owns_one_stream_named_in_capitals() -> None:
    assert stream_name("assistance") == "ASSISTANCE"
    assert stream_name("staffing") == "STAFFING"


def test_a_namespace_prefixes_the_stream_name() -> None:
    assert stream_name("assistance", namespace="t3f9a") == "T3F9A_ASSISTANCE"


def test_an_event_subject_names_service_county_stream_type_and_event() -> None:
    subject = event_subject("assistance", "610831", "student", "AidGranted")

    assert subject == "events.assistance.610831.student.AidGranted"


def test_a_namespace_prefixes_every_subject() -> None:
    ns = "t3f9a"

    assert (
        event_subject("assistance", "610831", "student", "StudentRegistered", ns)
        == "t3f9a.events.assistance.610831.student.StudentRegistered"
    )
    assert service_events("assistance", ns) == "t3f9a.events.assistance.>"
    assert (
        command_subject("assistance", "GrantTermAid", ns)
        == "t3f9a.commands.assistance.grant_term_aid"
    )
    assert (
        query_subject("assistance", "ListStudentIds", ns)
        == "t3f9a.queries.assistance.list_student_ids"
    )


def test_a_service_stream_catches_every_event_of_the_service() -> None:
    assert service_events("assistance") == "events.assistance.>"
    assert event_subject("assistance", "610831", "student", "AidGranted").startswith(
        service_events("assistance").removesuffix(">")
    )


def test_commands_and_queries_are_addressed_in_snake_case() -> None:
    assert (
        command_subject("assistance", "RegisterStudent") == "commands.assistance.register_student"
    )
    assert command_subject("assistance", "GrantTermAid") == "commands.assistance.grant_term_aid"
    assert query_subject("assistance", "ListStudentIds") == "queries.assistance.list_student_ids"


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
