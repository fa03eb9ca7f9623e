"""Wiring of the staffing service: its commands, its query; nothing connects at import."""

from __future__ import annotations

from contracts.staffing.queries import CalendarEntry, GetTeacherCalendar, TeacherCalendar
from contracts.staffing.terms import term_index
from services.staffing.assignments import AssignmentProcessor
from services.staffing.domain.teacher import TEACHER, MasterTeacher, teacher_stream
from services.staffing.handlers import command_handlers, load_permissions
from services.staffing.targets import TargetsInForce
from shared.commandbus import add_command_endpoint, add_query_endpoint
from shared.eventstore import EventStore
from shared.processor import payload_of
from shared.service import ServiceRuntime

SERVICE = "staffing"


def build_processor(store: EventStore) -> AssignmentProcessor:
    """The service's processor: the targets in force are refreshed when a request finds a
    targets stream moved (on any replica)."""
    targets = TargetsInForce(store)
    return AssignmentProcessor(
        store,
        command_handlers(targets),
        load_permissions(),
        reference={targets.STREAM_TYPE: targets.refresh},
    )


async def configure(runtime: ServiceRuntime) -> None:
    processor = build_processor(runtime.store)
    add_command_endpoint(runtime, processor)

    async def teacher_calendar(query: GetTeacherCalendar) -> TeacherCalendar:
        events = await runtime.store.load(teacher_stream(query.teacher_id))
        return calendar_of(query, TEACHER.fold(map(payload_of, events)))

    add_query_endpoint(
        runtime.broker, SERVICE, GetTeacherCalendar, teacher_calendar, runtime.namespace
    )


def calendar_of(query: GetTeacherCalendar, teacher: MasterTeacher) -> TeacherCalendar:
    return TeacherCalendar(
        teacher_id=query.teacher_id,
        assignments=[
            CalendarEntry(
                county=b.post[0],
                host_school=b.post[1],
                subject=b.post[2],
                start_term=b.start_term,
                end_term=b.end_term,
            )
            for b in sorted(teacher.bookings, key=lambda b: term_index(b.start_term))
        ],
        mentees=len(teacher.mentees),
        sessions=len(teacher.sessions),
        mentoring_hours=teacher.mentoring_hours,
    )
