"""Command handlers of the assistance service: which stream, which decision."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from contracts.assistance.commands import GrantTermAid, RegisterStudent
from services.assistance import domain
from services.assistance.catalogue import AidCatalogue
from shared.decider import CommandHandler
from shared.pseudonyms import Pseudonyms

PERMISSIONS_FILE = Path(__file__).with_name("permissions.toml")


def student_id(pseudonyms: Pseudonyms, registry_id: str) -> str:
    return str(pseudonyms.uuid("student", registry_id))


def command_handlers(
    catalogue: AidCatalogue, pseudonyms: Pseudonyms
) -> dict[str, CommandHandler[Any]]:
    def register_stream(c: RegisterStudent) -> str:
        return student_id(pseudonyms, c.personal.student_registry_id)

    def register(s: domain.Student, c: RegisterStudent) -> list[Any]:
        return domain.register(s, c, pseudonyms.uuid("student", c.personal.student_registry_id))

    def grant(s: domain.Student, c: GrantTermAid) -> list[Any]:
        return domain.grant_term_aid(s, c, catalogue)

    return {
        "RegisterStudent": CommandHandler(domain.STUDENT, register_stream, register),
        "GrantTermAid": CommandHandler(domain.STUDENT, lambda c: str(c.student_id), grant),
    }


def load_permissions(path: Path = PERMISSIONS_FILE) -> dict[str, frozenset[str]]:
    with path.open("rb") as f:
        return {command: frozenset(departments) for command, departments in tomllib.load(f).items()}
