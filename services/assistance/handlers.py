"""Command handlers of the assistance service: which stream each command addresses, and
which pure decision decides it."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts.assistance import commands as c
from services.assistance.domain import funds, student, university
from services.assistance.domain.catalogue import CATALOGUE, CATALOGUE_STREAM, AidCatalogue, load
from services.assistance.domain.funds import FUNDS, funds_stream
from services.assistance.domain.student import STUDENT, Student
from services.assistance.domain.university import DISPATCH, dispatch_stream
from shared.decider import CommandHandler
from shared.pseudonyms import Pseudonyms

PERMISSIONS_FILE = Path(__file__).with_name("permissions.toml")


def student_id(pseudonyms: Pseudonyms, registry_id: str) -> str:
    return str(pseudonyms.uuid("student", registry_id))


def command_handlers(
    catalogue: Callable[[], AidCatalogue],
    pseudonyms: Pseudonyms,
    school_year: Callable[[], int],
) -> dict[str, CommandHandler[Any]]:
    """`catalogue` gives the catalogue in force now; `school_year` the current school year."""

    def by_registry(cmd: c.RegisterStudent) -> str:
        return student_id(pseudonyms, cmd.personal.student_registry_id)

    def by_student(cmd: Any) -> str:
        return str(cmd.student_id)

    def register(s: Student, cmd: c.RegisterStudent) -> list[Any]:
        return student.register(
            s, cmd, pseudonyms.uuid("student", cmd.personal.student_registry_id), school_year()
        )

    def revise(s: Student, cmd: c.ReviseStudent) -> list[Any]:
        return student.revise(
            s, cmd, pseudonyms.uuid("student", cmd.personal.student_registry_id), school_year()
        )

    def erase(s: Student, cmd: c.EraseStudentPersonalData) -> list[Any]:
        return student.erase(s, cmd, pseudonyms.uuid("student", cmd.student_registry_id))

    def grant(s: Student, cmd: c.GrantTermAid) -> list[Any]:
        return student.grant_term_aid(s, cmd, catalogue())

    def on_student(decide: Callable[[Student, Any], list[Any]]) -> CommandHandler[Student]:
        return CommandHandler(STUDENT, by_student, decide)

    return {
        "RegisterStudent": CommandHandler(STUDENT, by_registry, register),
        "ReviseStudent": CommandHandler(STUDENT, by_registry, revise),
        "RemoveFromRoster": on_student(student.remove),
        "EraseStudentPersonalData": CommandHandler(
            STUDENT, lambda cmd: student_id(pseudonyms, cmd.student_registry_id), erase
        ),
        "PromoteStudent": on_student(student.promote),
        "GraduateStudent": on_student(student.graduate),
        "TransferStudent": on_student(student.transfer),
        "RecordLeaving": on_student(student.leave),
        "RecordStudentLoan": on_student(student.record_loan),
        "RecordGreenChannel": on_student(student.record_green_channel),
        "ReturnToSchool": on_student(student.return_to_school),
        "ResolveDropoutAlert": on_student(student.resolve_alert),
        "GrantTermAid": on_student(grant),
        "PayTermAid": on_student(student.pay_term),
        "PayAid": on_student(student.pay),
        "RevokeAidGrant": on_student(student.revoke),
        "LoadAidCatalogue": CommandHandler(CATALOGUE, lambda _: CATALOGUE_STREAM, load),
        "DispatchUniversityRoster": CommandHandler(
            DISPATCH,
            lambda cmd: dispatch_stream(cmd.county, cmd.school_year, cmd.university),
            university.dispatch,
        ),
        "RecordUniversityAidReport": CommandHandler(
            DISPATCH,
            lambda cmd: dispatch_stream(cmd.county, cmd.school_year, cmd.university),
            university.report,
        ),
        "RequestPublicFunds": CommandHandler(
            FUNDS, lambda cmd: funds_stream(cmd.county, cmd.request_id), funds.request
        ),
        "AnswerPublicFunds": CommandHandler(
            FUNDS, lambda cmd: funds_stream(cmd.county, cmd.request_id), funds.answer
        ),
    }


def load_permissions(path: Path = PERMISSIONS_FILE) -> dict[str, frozenset[str]]:
    with path.open("rb") as f:
        return {command: frozenset(departments) for command, departments in tomllib.load(f).items()}
