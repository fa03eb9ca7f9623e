"""A roster revision that moves a high-school student to a school of another grade changes the
tuition waiver the next grant run pays, through the service's own store (sealed events)."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import BaseModel

from contracts.assistance.commands import GrantTermAid, RegisterStudent, ReviseStudent
from contracts.assistance.events import AidGranted, StudentDetailsRevised
from contracts.assistance.types import SchoolCategory
from contracts.envelope import Accepted
from contracts.types import Stage
from shared.commandbus import new_command
from shared.eventstore import EventStore
from shared.personal_data import opener_for
from shared.processor import CommandProcessor, payload_of
from tests.support.assistance import processor_for
from tests.support.builders import register_student

pytestmark = pytest.mark.integration


def high_school(category: SchoolCategory) -> RegisterStudent:
    line = register_student(stage=Stage.HIGH_SCHOOL, grade=1, boarding=False, school="子洲中学")
    return line.model_copy(update={"school_category": category})


async def accepted(processor: CommandProcessor, command: BaseModel) -> Accepted:
    (result,) = await processor.handle([new_command(command, department="aid_center")])
    assert isinstance(result, Accepted), result
    return result


async def test_a_student_revised_to_a_rural_high_school_gets_the_rural_waiver(
    store: EventStore,
) -> None:
    processor = await processor_for(store)
    line = high_school(SchoolCategory.PROVINCIAL)
    student = UUID((await accepted(processor, line)).stream_id)
    revised = ReviseStudent(
        **line.model_copy(update={"school_category": SchoolCategory.RURAL}).model_dump(),
        revision="2018",
    )
    await accepted(processor, revised)
    await accepted(processor, GrantTermAid(student_id=student, term="2017-autumn"))

    stored = await store.load(str(student))
    async with store.pool.acquire() as conn:
        opener = await opener_for(conn, (e.data for e in stored))
    events = [payload_of(e, opener) for e in stored]
    (revision,) = [e for e in events if isinstance(e, StudentDetailsRevised)]
    waiver = next(
        e for e in events if isinstance(e, AidGranted) and e.programme == "hs_tuition_waiver"
    )

    assert [e.schema_version for e in stored if e.event_type == "StudentDetailsRevised"] == [3]
    assert (revision.changed, revision.school_category) == (["school_category"], "rural")
    assert revision.personal == line.personal, "sealed as version 3, opened again"
    assert str(waiver.amount) == "100.00"
