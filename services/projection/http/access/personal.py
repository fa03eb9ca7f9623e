"""The reports that name people, and their personal fields.

Only these read personal tables (`aid_student_personal`, `pairing_personal`); the audit trail
keeps no `personal` part and the other read models keep ids, not names. For a reader without
`personal_data_reader` the fields are blanked (null), so the answer keeps its shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STUDENT = ("registry_id", "name")


@dataclass(frozen=True)
class PersonalList:
    """Personal `fields` of each row of a report's list (the answer, or its key `within`)."""

    fields: tuple[str, ...]
    within: str | None = None

    def rows(self, body: Any) -> list[dict[str, Any]]:
        rows = body[self.within] if self.within else body
        return list(rows)

    def hidden(self, body: Any) -> Any:
        rows = [{**r, **dict.fromkeys(self.fields)} for r in self.rows(body)]
        return {**body, self.within: rows} if self.within else rows


PERSONAL_ROUTES = {
    "/api/students-missing-aid": PersonalList(STUDENT),
    "/api/dropout-alerts": PersonalList(STUDENT),
    "/api/roster-revision": PersonalList(STUDENT, within="changes"),
    "/api/pairing/shadowing": PersonalList(("teacher_name",)),
}
