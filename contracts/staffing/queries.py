"""Read-only requests answered by the staffing service from its own store."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from contracts.staffing.types import SchoolId, SubjectId, TeacherId
from contracts.types import Contract, CountyCode, Term


class GetTeacherCalendar(Contract):
    """A master teacher's assignments and mentoring, as the service holds them now."""

    teacher_id: TeacherId


class CalendarEntry(Contract):
    county: CountyCode
    host_school: SchoolId
    subject: SubjectId
    start_term: Term
    end_term: Term = Field(description="Last term, planned or served.")


class TeacherCalendar(Contract):
    teacher_id: TeacherId
    assignments: list[CalendarEntry] = Field(description="Assignments held, by start term.")
    mentees: int = Field(ge=0, description="Local teachers mentored.")
    sessions: int = Field(ge=0, description="Mentoring sessions logged.")
    mentoring_hours: Decimal = Field(ge=0, description="Hours of all sessions (a string).")
